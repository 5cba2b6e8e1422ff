import Foundation

/// The distinct pre-tokenized words of a stream of documents and how often each occurs: what BPE
/// training counts, built batch by batch so the documents themselves are never held. Every core
/// works: each pre-tokenizes a stride of the batch into partial tables split by word hash, then
/// each merges one hash part of all partial tables into its own part of the total.
///
/// Memory is bounded by `maximumWords` distinct words. Counting and then training cost about 370
/// bytes of peak memory per distinct word (tokenizers' trainer: about 870; `Scripts/bench/tokenizer-train`),
/// so the default 20M words stays under about 8 GB.
/// When a batch leaves more, the rarest words are dropped, all words seen at most t times with the
/// smallest t that brings the table to three quarters of the cap, as tokenizers' trainer never
/// does (it keeps every word): up to the cap the counts, and so the vocabulary, are exactly
/// tokenizers'; beyond it, words that rare contribute little to merges. `prunedOccurrences` and
/// `pruneThreshold` say what was dropped. The result depends on the batches, not on the threads.
public final class WordCounter {
    public let maximumWords: Int
    /// Occurrences of the words dropped to stay under the cap (0: the counts are exact).
    public private(set) var prunedOccurrences = 0
    /// The largest count of a dropped word.
    public private(set) var pruneThreshold = 0
    /// Bytes of text counted.
    public private(set) var bytes = 0
    private var parts: [[[UInt8]: Int]]

    public init(maximumWords: Int = 20_000_000, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.maximumWords = max(1, maximumWords)
        parts = Array(repeating: [:], count: max(1, workers))
    }

    /// Distinct words so far.
    public var count: Int { parts.reduce(0) { $0 + $1.count } }

    /// Every word and its count (in no particular order).
    public var counts: FlattenSequence<[[[UInt8]: Int]]> { parts.joined() }

    /// Counts the words of `texts` (each a document, split as GPT-2's pre-tokenizer does).
    public func add(_ texts: [String]) {
        let workers = parts.count
        var partial = [[[[UInt8]: Int]]](repeating: [], count: workers)
        var textBytes = [Int](repeating: 0, count: workers)
        partial.withUnsafeMutableBufferPointer { results in
            textBytes.withUnsafeMutableBufferPointer { sizes in
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var tables = [[[UInt8]: Int]](repeating: [:], count: workers)
                    for index in stride(from: worker, to: texts.count, by: workers) {
                        sizes[worker] += texts[index].utf8.count
                        for word in gpt2PreTokenize(Substring(texts[index])) { tables[Self.part(of: word, among: workers)][word, default: 0] += 1 }
                    }
                    results[worker] = tables
                }
            }
        }
        bytes += textBytes.reduce(0, +)
        parts.withUnsafeMutableBufferPointer { totals in
            DispatchQueue.concurrentPerform(iterations: workers) { part in
                for worker in 0..<workers { totals[part].merge(partial[worker][part], uniquingKeysWith: +) }
            }
        }
        if count > maximumWords { prune() }
    }

    static func part(of word: [UInt8], among parts: Int) -> Int {
        parts == 1 ? 0 : Int(UInt(bitPattern: word.hashValue) % UInt(parts))
    }

    /// Drops every word seen at most t times, t the smallest that leaves ≤ 3/4 of the cap.
    private func prune() {
        let target = maximumWords / 4 * 3
        var histogram: [Int: Int] = [:]  // count → words with that count
        for part in parts { for count in part.values { histogram[count, default: 0] += 1 } }
        var remaining = count, threshold = 0
        for (value, words) in histogram.sorted(by: { $0.key < $1.key }) where remaining > target {
            remaining -= words
            threshold = value
        }
        pruneThreshold = max(pruneThreshold, threshold)
        var dropped = [Int](repeating: 0, count: parts.count)
        parts.withUnsafeMutableBufferPointer { totals in
            dropped.withUnsafeMutableBufferPointer { occurrences in
                DispatchQueue.concurrentPerform(iterations: totals.count) { part in
                    totals[part] = totals[part].filter { word in
                        if word.value > threshold { return true }
                        occurrences[part] += word.value
                        return false
                    }
                }
            }
        }
        prunedOccurrences += dropped.reduce(0, +)
    }

    /// Text bytes per token of `tokenizer` over the counted words (without special tokens): each
    /// distinct word is encoded once and weighted by its count. Exact while nothing was pruned.
    public func bytesPerToken(_ tokenizer: BPETokenizer) -> Double {
        var sums = [(bytes: Int, tokens: Int)](repeating: (0, 0), count: parts.count)
        sums.withUnsafeMutableBufferPointer { results in
            DispatchQueue.concurrentPerform(iterations: parts.count) { part in
                for (word, count) in parts[part] {
                    results[part].bytes += word.count * count
                    results[part].tokens += tokenizer.merge(word).count * count
                }
            }
        }
        return Double(sums.reduce(0) { $0 + $1.bytes }) / Double(max(1, sums.reduce(0) { $0 + $1.tokens }))
    }
}
