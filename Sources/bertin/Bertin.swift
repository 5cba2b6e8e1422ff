import ArgumentParser

@main
struct Bertin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertin",
        abstract: "Pre-train BERTIN-style Spanish language models on CPU clusters.",
        subcommands: [Info.self, Train.self, Perplexity.self, Sample.self, NGramCommand.self, TokenizerCommand.self, Prepare.self, Convert.self, Eval.self, FillMask.self, Generate.self, Finetune.self, Predict.self, Compare.self, Plan.self, Bench.self])
}
