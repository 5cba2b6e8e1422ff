import Distributed
import Optimization
import Tensor

/// A recipe value chosen from a fixed set of names (`decay: cosine`, `sharding: optimizer`): decoded
/// into its enum when the recipe is read, so a misspelt choice is refused before anything runs,
/// with the path and the choices in the error.
public protocol RecipeChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension RecipeChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}

extension Sharding: RecipeChoice {}
extension WeightDecayMask.Name: RecipeChoice {}
