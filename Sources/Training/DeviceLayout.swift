/// How the job's replicas (pmap's devices) sit on MPI ranks: `devices` in all, the same number on
/// every rank, rank r owning devices r·d ..< (r+1)·d. Device indices are global, so a device's data
/// slice and dropout key do not depend on the layout.
public struct DeviceLayout: Equatable, Sendable {
    public let devices: Int
    public let rank: Int
    public let ranks: Int

    public init(devices: Int, rank: Int = 0, ranks: Int = 1) throws {
        guard devices > 0, ranks > 0, (0..<ranks).contains(rank) else {
            throw TrainingError.invalidLayout("\(devices) devices on rank \(rank) of \(ranks)")
        }
        guard devices % ranks == 0 else {
            throw TrainingError.invalidLayout("\(devices) devices do not divide over \(ranks) MPI ranks: use a rank count that divides \(devices)")
        }
        (self.devices, self.rank, self.ranks) = (devices, rank, ranks)
    }

    public static let single = try! DeviceLayout(devices: 1)

    public var devicesPerRank: Int { devices / ranks }
    public var localDevices: Range<Int> { (rank * devicesPerRank)..<((rank + 1) * devicesPerRank) }
}
