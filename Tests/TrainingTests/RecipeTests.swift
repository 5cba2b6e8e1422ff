import Foundation
import Testing
import Training

@Suite struct RecipeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func load(_ name: String, _ overrides: [String] = []) throws -> Recipe {
        try Recipe.load(path: Self.root.appendingPathComponent("Recipes/\(name)").path, overrides: overrides).recipe
    }

    @Test func bertinRecipesHoldTheOriginalNumbers() throws {
        for method in ["gaussian", "stepwise", "random"] {
            let recipe = try load("bertin-base-\(method).yaml")
            try recipe.validate(ranks: 8)
            #expect(recipe.devices == 8)
            let (one, two) = (recipe.phases[0], recipe.phases[1])
            #expect(one.perDeviceBatch * one.accumulation * recipe.devices == 2048 && one.steps == 250_000 && one.warmupSteps == 24_000 && one.learningRate == 6e-4)
            #expect(two.perDeviceBatch * two.accumulation * recipe.devices == 384 && two.steps == 50_000 && two.warmupSteps == 500 && two.learningRate == 6e-4)
            #expect(two.initializeFrom == "Checkpoints/bertin-base-\(method)/step-00230000.h5" && recipe.keepSteps == [230_000])
            #expect(recipe.optimizer.beta2 == 0.98 && recipe.optimizer.epsilon == 1e-6 && recipe.optimizer.weightDecay == 0.01 && recipe.optimizer.clipGlobalNorm == nil)
            #expect(recipe.model.type == "roberta" && recipe.model.settings["hidden_size"] == .integer(768) && recipe.model.settings["layers"] == .integer(12) && recipe.model.settings["max_position_embeddings"] == .integer(514))
            #expect(two.optimizerState == (method == "random" ? .keep : .fresh))
        }
    }

    @Test func schedulesFollowThePhases() throws {
        let fresh = try load("bertin-base-gaussian.yaml")
        let starts = fresh.phaseStarts
        #expect(starts == [0, 250_000])
        #expect(fresh.learningRate(phase: 0, step: 12_000, phaseStart: starts, optimizerCount: 12_000) == 3e-4)
        #expect(fresh.learningRate(phase: 0, step: 24_000, phaseStart: starts, optimizerCount: 24_000) == 6e-4)
        #expect(fresh.learningRate(phase: 1, step: 250_250, phaseStart: starts, optimizerCount: 250) == 3e-4, "a fresh warmup from the phase start")
        let kept = try load("bertin-base-random.yaml")
        // The kept schedule continues phase 1's at the optimizer count loaded from step 230k.
        let rate = kept.learningRate(phase: 1, step: 250_000, phaseStart: starts, optimizerCount: 230_000)
        #expect(abs(Double(rate) - 6e-4 * 20_000 / 226_000) < 1e-9)
    }

    @Test func overridesAndErrors() throws {
        let (recipe, text) = try Recipe.load(path: Self.root.appendingPathComponent("Recipes/tiny-smoke.yaml").path,
                                             overrides: ["phases.0.steps=7", "optimizer.clip_global_norm=1.0", "devices=4"])
        #expect(recipe.phases[0].steps == 7 && recipe.optimizer.clipGlobalNorm == 1 && recipe.devices == 4)
        #expect(text.contains("clip_global_norm: 1"), "the resolved text records the overrides")
        #expect(throws: TrainingError.invalidRecipe("override phases.5.steps=1: 5 is not an index of a 2-element list")) {
            _ = try load("tiny-smoke.yaml", ["phases.5.steps=1"])
        }
        #expect(throws: TrainingError.invalidRecipe("\(Self.root.appendingPathComponent("Recipes/tiny-smoke.yaml").path): devices: 8 do not divide over 3 MPI ranks (use -np dividing 8)")) {
            try load("tiny-smoke.yaml").validate(ranks: 3)
        }
        let missing = Self.root.appendingPathComponent("Recipes/tiny-smoke.yaml").path
        #expect(throws: TrainingError.invalidRecipe("\(missing): missing phases.0.steps")) {
            _ = try Recipe.load(path: missing, overrides: ["phases.0.steps=null"])
        }
    }

    @Test func unknownKeysAreErrorsNamingTheNearestKey() throws {
        let cases: [(String, String)] = [
            ("keep_checkpoint=5", "--set keep_checkpoint=5: unknown key keep_checkpoint (did you mean keep_checkpoints?)"),
            ("phases.1.warmup=5", "--set phases.1.warmup=5: unknown key phases.1.warmup (did you mean warmup_steps?)"),
            ("model.hiden_size=64", "--set model.hiden_size=64: unknown key model.hiden_size (did you mean hidden_size?)"),
            ("optimizer.weight_decay_msk=matrices", "--set optimizer.weight_decay_msk=matrices: unknown key optimizer.weight_decay_msk (did you mean weight_decay_mask?)"),
        ]
        for (override, message) in cases {
            #expect(throws: TrainingError.invalidRecipe(message)) { try load("tiny-smoke.yaml", [override]) }
        }
        // A key of a feature that does not exist lists the known keys.
        #expect(throws: TrainingError.self) { try load("tiny-smoke.yaml", ["pipeline_stages=4"]) }
        let text = try String(contentsOfFile: Self.root.appendingPathComponent("Recipes/tiny-gptj-smoke.yaml").path, encoding: .utf8)
        #expect(throws: TrainingError.invalidRecipe("typo.yaml: unknown key model.rotary_dims (did you mean rotary_dim?)")) {
            try Recipe.parse(text.replacingOccurrences(of: "rotary_dim:", with: "rotary_dims:"), source: "typo.yaml")
        }
        // Every bundled recipe uses known keys only.
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Recipes").path) where name.hasSuffix(".yaml") {
            _ = try load(name)
        }
    }
}

/// Every way a recipe can be wrong that README promises to refuse, with the exact message: the
/// file or override and the key, the value and what it must be.
@Suite struct RecipeErrorTests {
    static let tiny = RecipeTests.root.appendingPathComponent("Recipes/tiny-smoke.yaml").path

    func message(_ overrides: [String], ranks: Int = 1) -> String {
        do {
            let (recipe, _) = try Recipe.load(path: Self.tiny, overrides: overrides)
            try recipe.validate(ranks: ranks)
            return "no error"
        } catch { return "\(error)" }
    }

    @Test(arguments: [
        ("phases.0.steps=0", "invalid recipe: \(tiny): phases.0 (seq128): steps is 0; it must be positive"),
        ("phases.1.steps=-3", "invalid recipe: \(tiny): phases.1 (seq512): steps is -3; it must be positive"),
        ("phases.0.per_device_batch=0", "invalid recipe: \(tiny): phases.0 (seq128): per_device_batch is 0; it must be positive"),
        ("phases.0.accumulation=-1", "invalid recipe: \(tiny): phases.0 (seq128): accumulation is -1; it must be positive"),
        ("phases.0.warmup_steps=-1", "invalid recipe: \(tiny): phases.0 (seq128): warmup_steps is -1; it must lie in 0...600 (the phase's steps)"),
        ("phases.0.warmup_steps=601", "invalid recipe: \(tiny): phases.0 (seq128): warmup_steps is 601; it must lie in 0...600 (the phase's steps)"),
        ("phases.1.optimizer_state=keepp", "invalid recipe: \(tiny): phases.1.optimizer_state: \"keepp\" is not one of fresh, keep"),
        ("phases.1.schedule=new", "invalid recipe: \(tiny): phases.1.schedule: \"new\" is not one of fresh, keep"),
        ("phases.0.decay=cosin", "invalid recipe: \(tiny): phases.0.decay: \"cosin\" is not one of linear, cosine"),
        ("sharding=zero9", "invalid recipe: \(tiny): sharding: \"zero9\" is not one of replicated, optimizer, gradients, parameters"),
        ("optimizer.weight_decay_mask=none", "invalid recipe: \(tiny): optimizer.weight_decay_mask: \"none\" is not one of bertin, matrices, all, flax-examples"),
        ("phases.0.steps=abc", "invalid recipe: \(tiny): phases.0.steps has the wrong type (expected an integer)"),
        ("phases.0.learning_rate=fast", "invalid recipe: \(tiny): phases.0.learning_rate has the wrong type (expected a number)"),
        ("devices=two", "invalid recipe: \(tiny): devices has the wrong type (expected an integer)"),
        ("eval_every=0", "invalid recipe: \(tiny): eval_every is 0; it must be positive"),
    ])
    func badValuesAreNamed(override: String, expected: String) {
        #expect(message([override]) == expected)
    }

    @Test func badFilesAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-recipes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let broken = folder.appendingPathComponent("broken.yaml").path
        try "name: x\nphases: [\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let text = message { _ = try Recipe.load(path: broken, overrides: []) }
        #expect(text.hasPrefix("invalid recipe: \(broken): not YAML: 3:1"), "\(text)")
        #expect(message { _ = try Recipe.load(path: broken + ".missing", overrides: []) }.contains(broken + ".missing"))
        let unknownModel = message { _ = try Recipe.load(path: Self.tiny, overrides: ["model.type=llama"]) }
        #expect(unknownModel == "invalid recipe: --set model.type=llama: model.type: \"llama\" is not one of gptj, roberta", "\(unknownModel)")
    }

    /// Nesting is measured before the YAML parser (whose recursion a deep file would overflow)
    /// sees the text: flow brackets outside quotes and comments. A quote inside a word is YAML's
    /// plain character, so it hides nothing after it.
    @Test(arguments: [
        ("name: x\nsteps: \(String(repeating: "[", count: 500))", true),
        ("name: BERTIN's \(String(repeating: "[", count: 500))", true),
        ("name: say\"hi \(String(repeating: "{", count: 500))", true),
        ("name: \"\(String(repeating: "[", count: 500))\"", false),
        ("name: '\(String(repeating: "{", count: 500))'", false),
        ("name: x # \(String(repeating: "[", count: 500))", false),
        // A lone CR (or NEL, LS, PS) is a YAML line break, even inside a comment.
        ("name: x # c\r\(String(repeating: "- ", count: 500))x", true),
        ("name: x # c\u{2028}\(String(repeating: "- ", count: 500))x", true),
    ])
    func deepNestingIsRefusedBeforeParsing(text: String, refused: Bool) {
        let text = message { _ = try Recipe.parse(text, source: "deep.yaml") }
        #expect((text == "invalid recipe: deep.yaml: nested more than 64 levels deep") == refused, "\(text)")
    }

    /// A "billion laughs": ten levels of ten aliases, which the parser would expand to 10^10
    /// values (it ran out of memory); and a plain alias. A `*` inside a word or quotes is text.
    @Test func aliasesAreRefused() throws {
        var laughs = "a0: &a0 [\"x\", \"x\"]\n"
        for level in 1...11 { laughs += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]\n" }
        let refused = "invalid recipe: r.yaml: uses a YAML alias (*name); recipes are read without anchors and aliases"
        #expect(message { _ = try Recipe.parse(laughs + "name: x\n", source: "r.yaml") } == refused)
        #expect(message { _ = try Recipe.parse("seed: &s 3\nname: *s\n", source: "r.yaml") } == refused)
        let text = message { _ = try Recipe.parse("name: a*b\nnote: \"*x\"\n", source: "r.yaml") }
        #expect(!text.contains("alias"), "\(text)")
    }

    /// The recipes the fuzz campaign of 2026-12-08 found crashing the YAML parser (a lone CR in a
    /// comment, then 1,000+ nested "- "), kept as found: each is now refused by name.
    @Test(arguments: ["recipe-seed2-exit139.yaml", "recipe-seed6-exit139.yaml", "recipe-seed10-exit139.yaml", "recipe-seed12-exit139.yaml"])
    func theFuzzCampaignsRecipesAreRefused(file: String) {
        let path = RecipeTests.root.appendingPathComponent("Tests/TrainingTests/Fixtures/fuzz-found/\(file)").path
        #expect(message { _ = try Recipe.load(path: path, overrides: []) } == "invalid recipe: \(path): nested more than 64 levels deep")
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }
}
