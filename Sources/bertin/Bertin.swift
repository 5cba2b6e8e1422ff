import ArgumentParser
import Foundation
import Kernels

@main
struct Bertin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertin",
        abstract: "Pre-train BERTIN-style Spanish language models on CPU clusters.",
        subcommands: [Info.self, Train.self, Perplexity.self, Sample.self, NGramCommand.self, TokenizerCommand.self, Prepare.self, Convert.self, Eval.self, FillMask.self, Generate.self, Finetune.self, Predict.self, Compare.self, Plan.self, Bench.self, Fuzz.self])

    /// Settles OpenBLAS's kernel before anything else runs (and before MPI: the choice may restart
    /// the process under `OPENBLAS_CORETYPE`), then runs the command.
    static func main() {
        do {
            try KernelSelection.establish()
        } catch {
            FileHandle.standardError.write(Data("bertin: error: \(error)\n".utf8))
            Foundation.exit(70)
        }
        if KernelSelection.isLeadProcess {
            for warning in KernelSelection.current.warnings { FileHandle.standardError.write(Data("bertin: warning: \(warning)\n".utf8)) }
        }
        main(nil)
    }
}
