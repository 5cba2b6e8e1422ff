import Foundation
import Yams

/// How a recipe differs from the one stored in a checkpoint, field by field (dotted paths such as
/// `phases.0.per_device_batch`). Logging and checkpoint bookkeeping may change on resume; any
/// other change (model, devices, seed, batches, schedule, optimizer, data) makes the continued run
/// differ from an uninterrupted one.
enum RecipeDrift {
    struct Change: CustomStringConvertible, Equatable {
        let path: String
        let old: String, new: String

        static let bookkeeping: Set<String> = ["output", "log_every", "eval_every", "eval_batches", "checkpoint_every", "keep_checkpoints", "keep_steps", "sharding", "recompute"]
        var isBookkeeping: Bool { Self.bookkeeping.contains(String(path.prefix { $0 != "." })) }
        var description: String { "\(path) \(old) → \(new)" }
    }

    static func changes(from stored: String, to current: String) throws -> [Change] {
        var changes: [Change] = []
        diff(try Yams.load(yaml: stored) ?? [String: Any](), try Yams.load(yaml: current) ?? [String: Any](), path: "", into: &changes)
        return changes
    }

    static func diff(_ old: Any?, _ new: Any?, path: String, into changes: inout [Change]) {
        func join(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        if let a = old as? [String: Any], let b = new as? [String: Any] {
            for key in Set(a.keys).union(b.keys).sorted() { diff(a[key], b[key], path: join(key), into: &changes) }
        } else if let a = old as? [Any], let b = new as? [Any], a.count == b.count {
            for index in a.indices { diff(a[index], b[index], path: join(String(index)), into: &changes) }
        } else {
            let (a, b) = (render(old), render(new))
            if a != b { changes.append(Change(path: path, old: a, new: b)) }
        }
    }

    static func render(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "(absent)" }
        if let list = value as? [Any] { return "[\(list.count) items]" }
        return "\(value)"
    }
}



