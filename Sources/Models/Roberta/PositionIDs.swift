import Tensor

/// RoBERTa's position ids (transformers' `create_position_ids_from_input_ids`): real tokens count
/// up from `paddingID + 1` along their row, padding tokens sit at `paddingID` itself. They follow the
/// tokens, not the attention mask, so a pad in the middle of a row is skipped by the count.
public func robertaPositionIDs(for inputIDs: IndexTensor, paddingID: Int32) throws -> IndexTensor {
    let time = inputIDs.shape.last ?? 0
    var positions = [Int32](repeating: paddingID, count: inputIDs.count)
    var rowStart = 0
    while rowStart < inputIDs.count {
        var seen: Int32 = 0
        for index in rowStart..<(rowStart + time) where inputIDs.indices[index] != paddingID {
            seen += 1
            positions[index] = paddingID + seen
        }
        rowStart += time
    }
    return try IndexTensor(shape: inputIDs.shape, indices: positions)
}
