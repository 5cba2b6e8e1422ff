// The kernels' calling convention (llm.c's), one order for every kernel:
//     outputs, then what backward saved from the forward pass, then inputs, then scalars, then sizes
// e.g.
//     softmaxBackward(dinput: dx, output: y, doutput: dy, rows:, columns:)
//     layerNormBackward(dinput:, dweight:, dbias:, mean:, rstd:, doutput:, input:, weight:, rows:, columns:)
//     crossEntropyBackward(dlogits:, logSumExp:, logits:, targets:, scale:, rows:, classes:)
//     dropout(output:, input:, probability:, key:, count:)
// Gradients are named after what they are the gradient of: `dinput`, `doutput`, `dweight`,
// `dlogits`, `dtable`. Gradients of parameters ACCUMULATE (`+=`: embeddingBackward's dtable,
// layerNormBackward's dweight/dbias), so several uses of a weight and gradient accumulation over
// micro-batches add up in place. Gradients of activations are WRITTEN: the tape hands every
// pullback a fresh buffer and sums branches itself, so accumulating there would only add a
// zero-fill pass per operation. Two exceptions keep their libraries' shapes: `gemm`/`batchedGemm`
// mirror cblas_sgemm (C last, `beta` chooses write or accumulate) and the `fill*` samplers, whose
// only arguments besides the output are the count and the key.
//
// Work is split over threads in pieces of at least `parallelGrain` floats (`rowGrain` for rows);
// column sums own blocks of `columnBlock` columns. Every kernel here has a plain twin in
// `ReferenceKernels` and a test against it (KernelsTests).
//
// Shape letters, one meaning each across the project:
//     B  rows of a batch            T  tokens per row (time)        R  B·T flattened rows
//     C  channels (hidden size)     H  attention heads              D  head size (C / H)
//     F  MLP width                  V  vocabulary                   L  a classification head's labels
//     N  chosen rows: the positions an objective or a head scores (labelled tokens, row starts)
//     P  attention pairs (B·H)      S  keys seen (cached + new)
// GPT-J's rotary features per head are written out (`rotaryDimension`, rotary_dim), as are GEMM's
// m, n, k.
