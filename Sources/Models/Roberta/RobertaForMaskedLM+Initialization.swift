import Tensor

extension RobertaForMaskedLM {
    /// transformers' initialisation of the encoder and the head (see `RobertaEncoder.initialize`).
    public func initialize(_ store: ParameterStore, seed: UInt64) throws {
        try encoder.initialize(store, seed: seed)
    }
}
