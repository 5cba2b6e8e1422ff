// The kernels' calling convention (llm.c's): outputs first, then what backward needs from the
// forward pass, then inputs, then sizes, e.g.
//     softmaxForward(output: y, input: x, rows:, columns:)
//     softmaxBackward(dinput: dx, output: y, doutput: dy, rows:, columns:)
// Gradients of parameters ACCUMULATE (`+=`: embeddingBackward's dtable, layerNormBackward's
// dweight/dbias, rotaryBackward), so several uses of a weight and gradient accumulation over
// micro-batches add up in place. Gradients of activations are WRITTEN: the tape hands every
// pullback a fresh buffer and sums branches itself, so accumulating there would only add a
// zero-fill pass per operation. Two exceptions keep their libraries' shapes: `gemm`/`batchedGemm`
// mirror cblas_sgemm (C last, `beta` chooses write or accumulate) and the `fill*` samplers, whose
// only argument besides the output is the key.
