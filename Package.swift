// swift-tools-version: 6.0
import Foundation
import PackageDescription

// Native libraries come from Debian packages (see Scripts/setup-debian.sh); each is wrapped by a
// system-library target whose shim.h turns C macros Swift cannot see into static inline functions.
let package = Package(
    name: "swift-bertin",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bertin", targets: ["bertin"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "Checkpointing", targets: ["Checkpointing"]),
        .library(name: "Interop", targets: ["Interop"]),
        .library(name: "Objectives", targets: ["Objectives"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Finetuning", targets: ["Finetuning"]),
        .library(name: "Corpus", targets: ["Corpus"]),
        .library(name: "CorpusIO", targets: ["CorpusIO"]),
        .library(name: "NGram", targets: ["NGram"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "Downstream", targets: ["Downstream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // cpuid and xgetbv for the kernel choice (Swift cannot issue them).
        .target(name: "CCPUID", path: "Sources/CCPUID"),
        // Write-then-rename: how every file and folder of the project is replaced.
        .target(name: "AtomicFiles", swiftSettings: commonSettings),
        // Hot loops: BLAS calls and SIMD loops over unsafe buffers, each with a plain reference twin.
        .target(name: "Kernels", dependencies: ["CBLAS", "CCPUID"], swiftSettings: kernelSettings),
        // Float32 tensors, the autodiff tape, the flat parameter buffer.
        .target(name: "Tensor", dependencies: ["Kernels"], swiftSettings: kernelSettings),
        // The model families (RoBERTa, GPT-J, classification heads) and their registry, written against
        // Tensor; weights live in a ParameterStore.
        .target(name: "Models", dependencies: ["Tensor", "Kernels"], swiftSettings: commonSettings),
        // What is trained: the losses (masked LM, causal LM, classification) over the models' hidden
        // states and heads, the masking collator, and the registry of objectives by name.
        .target(name: "Objectives", dependencies: ["Models", "Corpus", "Tensor", "Kernels"], swiftSettings: commonSettings),
        // AdamW, learning-rate schedules, clipping, gradient accumulation.
        .target(name: "Optimization", dependencies: ["Tensor", "Kernels"], swiftSettings: commonSettings),
        // The HDF5 training-state file: parameters, optimizer state (through `OptimizerState`), progress.
        .target(name: "Checkpointing", dependencies: ["CHDF5", "AtomicFiles", "Tensor", "Optimization"], swiftSettings: commonSettings),
        // Models rebuilt from checkpoints through the registry (the layer above storage and families).
        .target(name: "CheckpointedModels", dependencies: ["Checkpointing", "Models", "Optimization", "Tensor"], swiftSettings: commonSettings),
        // MPI: the job, and gradient buckets reduced as backward produces them.
        .target(name: "Distributed", dependencies: ["CMPI", "Tensor", "Kernels"], swiftSettings: commonSettings),
        // The training loop: pmap-style data parallelism over MPI ranks and in-process devices, ZeRO
        // sharding, recipes, pre-training and fine-tuning runs.
        .target(name: "Training", dependencies: ["Models", "Objectives", "Optimization", "Checkpointing", "CheckpointedModels", "Corpus", "CorpusIO", "Distributed", "Tensor", "Kernels", .product(name: "Yams", package: "Yams")], swiftSettings: commonSettings),
        // Fine-tuning and prediction with classification heads: task files encoded for a head, the
        // shared training loop, seqeval-exact evaluation after every epoch.
        .target(name: "Finetuning", dependencies: ["Training", "Downstream", "Objectives", "Models", "CheckpointedModels", "Tokenization", "Distributed", "Optimization", "Tensor", "Kernels"],
                swiftSettings: commonSettings),
        // Corpus files: gzip JSON lines in and out, mapped files, work shared over processes and resumed.
        .target(name: "CorpusIO", dependencies: ["CZlib", "AtomicFiles"], swiftSettings: commonSettings),
        // n-gram language models: ARPA and KenLM's binary formats, CCNet's normalisation, perplexity.
        .target(name: "NGram", dependencies: ["CorpusIO", "AtomicFiles"], swiftSettings: commonSettings),
        // The byte-level BPE tokenizer: encoding, decoding, training, tokenizers' files.
        .target(name: "Tokenization", dependencies: ["CorpusIO", .product(name: "HeapModule", package: "swift-collections")],
                swiftSettings: commonSettings),
        // The data jobs: perplexity sampling of mC4-format corpora and prepared token rows.
        .target(name: "Corpus", dependencies: ["CorpusIO", "NGram", "Tokenization", "AtomicFiles", "Kernels"], swiftSettings: commonSettings),
        // Fine-tuning data: CoNLL / CoNLL-U / JSON lines readers, word alignment, seqeval-exact metrics.
        .target(name: "Downstream", dependencies: ["Tokenization"], swiftSettings: commonSettings),
        // transformers directories (config.json and safetensors, sharded or not) to and from checkpoints, for every registered family.
        .target(name: "Interop", dependencies: ["AtomicFiles", "Models", "Tensor", "Checkpointing", "CheckpointedModels", "Optimization"], swiftSettings: commonSettings),

        .target(name: "Fuzzing", dependencies: ["Checkpointing", "Corpus", "CorpusIO", "Downstream", "Interop", "NGram", "Optimization", "Tensor", "Tokenization", "Training", "Kernels"],
                swiftSettings: commonSettings),
        .executableTarget(
            name: "bertin",
            dependencies: [
                "AtomicFiles", "Tensor", "Kernels", "Models", "Objectives", "Optimization", "Checkpointing", "CheckpointedModels", "Interop", "Training", "Finetuning", "Corpus", "CorpusIO", "NGram", "Tokenization", "Downstream", "Distributed", "Fuzzing", "CBLAS", "CMPI", "CHDF5", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: commonSettings),

        // Helpers shared by test targets (never linked into the tool).
        .target(name: "TestSupport", dependencies: ["Tensor", "Kernels"], path: "Tests/TestSupport", swiftSettings: commonSettings),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], swiftSettings: commonSettings),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Kernels", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TestSupport", "Objectives", "Interop", "Optimization", "Checkpointing", "CheckpointedModels", "Tensor", "Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "TestSupport", "Distributed", "Tensor", "Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport", "Objectives", "Interop", "Corpus", "CorpusIO", "Tokenization", "Models", "Optimization", "Checkpointing", "CheckpointedModels", "Tensor", "Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus", "CorpusIO", "NGram", "Tokenization", "Kernels", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
        .testTarget(name: "DownstreamTests", dependencies: ["Downstream", "Tokenization"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
        .testTarget(name: "CheckpointingTests", dependencies: ["Checkpointing", "TestSupport", "Distributed", "Optimization", "Tensor", "Kernels"],
                    resources: [.copy("Fixtures")], swiftSettings: commonSettings),
    ],
    // Swift 5 mode: the kernels hand raw buffers to worker threads by design (each thread owns a
    // disjoint range), which Swift 6's Sendable checking cannot express without copying.
    swiftLanguageModes: [.v5]
)

var commonSettings: [SwiftSetting] { [] }
// Bounds checks stay on in the portable parts; the kernels index raw pointers anyway. On x86-64
// the kernels are compiled for AVX2 + FMA (Haswell, 2013, and every later x86-64 server): Swift
// otherwise targets SSE2 and splits every 8-lane SIMD operation in two.
// BERTIN_KERNEL_CPU=skylake-avx512 builds them for AVX-512 instead (Skylake-SP, Zen 4 and later only;
// the binary then stops with an illegal instruction on older CPUs): measured in README.
var kernelCPU: [String] {
    #if arch(x86_64)
    if let cpu = ProcessInfo.processInfo.environment["BERTIN_KERNEL_CPU"], !cpu.isEmpty {
        return ["-target-cpu", cpu] + (cpu.contains("avx512") ? ["-D", "BERTIN_KERNELS_AVX512"] : [])
    }
    return ["-target-cpu", "haswell"]
    #else
    return []
    #endif
}
var kernelSettings: [SwiftSetting] { [.unsafeFlags(["-Ounchecked", "-wmo"] + kernelCPU, .when(configuration: .release))] }
