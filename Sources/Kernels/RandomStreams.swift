/// The namespace of the counter-based generator's named streams. A `RandomKey` is (seed, step,
/// device, stream); each module that draws numbers names its streams in an extension of this
/// type, next to the code that draws them (Models: dropout, generation; Objectives: masking;
/// Corpus: sampling, hold-out, shuffle; Training: epoch order, benchmark batches).
///
/// Rules for a new stream: pick a value no other stream uses (TrainingTests' `RandomStreamTests`
/// lists them all and fails on a clash); dropout owns 0 ..< 4096 (micro-batches × sites). The
/// values are fixed forever: changing one changes every run that depends on it (and breaks
/// bitwise resume of runs saved before).
public enum RandomStream {}
