import Foundation
import Testing
@testable import Training

@Suite struct TensorBoardTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283)  // RFC 3720's CRC-32C check value
        #expect(crc32c([]) == 0)
    }

    /// The same events as TensorBoard's own RecordWriter wrote them (Scripts/reference/
    /// make-tensorboard-fixture.py, which also read them back with TensorBoard's CRC-checking
    /// loader): our framing, masked CRCs and protobuf encoding give the same bytes.
    @Test func eventsAreByteForByteWhatTensorBoardWrites() throws {
        let fixture = Bundle.module.url(forResource: "Fixtures/tensorboard/events.fixture", withExtension: nil)!
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-tb-\(UUID().uuidString)").path
        var times = [1700000000.0, 1700000001.25, 1700000002.5, 1700000003.75].makeIterator()
        let writer = try TensorBoardWriter(folder: folder) { times.next()! }
        try writer.add([("train/loss", 2.5)], step: 7)
        try writer.add([("train/loss", 1.0e-3), ("train/learning_rate", 6.0e-4)], step: 300)
        try writer.add([("eval/masked_lm_accuracy_with_a_long_tag_name", -0.125)], step: 123456789)
        let ours = try Data(contentsOf: URL(fileURLWithPath: writer.path)), theirs = try Data(contentsOf: fixture)
        #expect(ours.count == theirs.count && ours == theirs,
                "\(ours.count) bytes vs TensorBoard's \(theirs.count); first difference at \(zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count))")
    }

    @Test func recordsAreFramedAsTFRecord() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-tb-\(UUID().uuidString)").path
        let writer = try TensorBoardWriter(folder: folder)
        try writer.add([("train/loss", 2.5)], step: 7)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        var offset = 0, records: [[UInt8]] = []
        while offset < bytes.count {
            let lengthBytes = Array(bytes[offset..<(offset + 8)])
            let length = Int(lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            let lengthCRC = bytes[(offset + 8)..<(offset + 12)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            #expect(lengthCRC == maskedCRC32C(lengthBytes))
            let payload = Array(bytes[(offset + 12)..<(offset + 12 + length)])
            let payloadCRC = bytes[(offset + 12 + length)..<(offset + 16 + length)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            #expect(payloadCRC == maskedCRC32C(payload))
            records.append(payload)
            offset += 16 + length
        }
        #expect(records.count == 2)
        #expect(String(decoding: records[0].suffix(13), as: UTF8.self) == "brain.Event:2")
        // Event{wall_time, step: 7 (field 2 varint), summary{value{tag "train/loss", simple_value 2.5}}}
        #expect(records[1][9...10] == [0x10, 0x07])
        #expect(records[1].suffix(5) == [0x15] + withUnsafeBytes(of: Float(2.5).bitPattern.littleEndian, Array.init))
    }
}
