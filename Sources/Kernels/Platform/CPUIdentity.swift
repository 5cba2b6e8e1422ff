import CCPUID
import Foundation

/// The processor as cpuid describes it: who made it, which model, and which vector instructions it
/// has *and* the operating system saves the registers of (XCR0). An instruction set the kernel does
/// not enable is as good as absent: using it faults.
public struct CPUIdentity: Sendable, Equatable {
    /// "GenuineIntel", "AuthenticAMD", "HygonGenuine", ...; empty off x86-64.
    public var vendor: String
    /// Display family and model (base plus extended fields, as Linux's /proc/cpuinfo shows them).
    public var family: Int
    public var model: Int
    /// The brand string ("INTEL(R) XEON(R) PLATINUM 8581C CPU @ 2.10GHz").
    public var name: String
    public var features: Set<CPUFeature>

    public init(vendor: String, family: Int, model: Int, name: String, features: Set<CPUFeature>) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.name = name
        self.features = features
    }

    /// This machine, read once.
    public static let current = CPUIdentity.read()

    /// AMD and Hygon (Zen licensees): OpenBLAS's Zen kernels fit both.
    public var isAMD: Bool { vendor == "AuthenticAMD" || vendor == "HygonGenuine" }

    /// The widest vector instruction set GEMM kernels can use here.
    public var vectorTier: VectorTier {
        if features.isSuperset(of: [.avx512f, .avx512bw, .avx512dq, .avx512vl]) { return .avx512 }
        if features.isSuperset(of: [.avx2, .fma]) { return .avx2 }
        if features.contains(.avx) { return .avx }
        return .sse
    }

    /// "AuthenticAMD family 25 model 17, AMD EPYC 9R14"
    public var summary: String {
        "\(vendor.isEmpty ? "unknown vendor" : vendor) family \(family) model \(model)" + (name.isEmpty ? "" : ", \(name)")
    }

    static func read() -> CPUIdentity {
        var registers = [UInt32](repeating: 0, count: 4)
        func query(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> [UInt32]? {
            ccpuid_query(leaf, subleaf, &registers) == 1 ? registers : nil
        }
        guard let leaf0 = query(0) else { return CPUIdentity(vendor: "", family: 0, model: 0, name: "", features: []) }
        let vendor = text([leaf0[1], leaf0[3], leaf0[2]])  // ebx, edx, ecx
        let leaf1 = query(1) ?? [0, 0, 0, 0]
        let baseFamily = Int((leaf1[0] >> 8) & 0xF), baseModel = Int((leaf1[0] >> 4) & 0xF)
        let family = baseFamily == 0xF ? baseFamily + Int((leaf1[0] >> 20) & 0xFF) : baseFamily
        let model = baseFamily == 0x6 || baseFamily == 0xF ? baseModel | Int((leaf1[0] >> 16) & 0xF) << 4 : baseModel
        let leaf7 = query(7) ?? [0, 0, 0, 0]
        let leaf7s1 = (leaf7[0] >= 1 ? query(7, 1) : nil) ?? [0, 0, 0, 0]
        let states = ccpuid_enabled_states()
        let savesAVX = states & 0x6 == 0x6          // XMM and YMM state
        let savesAVX512 = states & 0xE6 == 0xE6     // plus opmask, ZMM_Hi256, Hi16_ZMM
        var features = Set<CPUFeature>()
        func add(_ feature: CPUFeature, _ register: UInt32, _ bit: UInt32, when allowed: Bool = true) {
            if allowed, register & (1 << bit) != 0 { features.insert(feature) }
        }
        add(.sse3, leaf1[2], 0); add(.ssse3, leaf1[2], 9); add(.sse41, leaf1[2], 19); add(.sse42, leaf1[2], 20)
        add(.avx, leaf1[2], 28, when: savesAVX); add(.fma, leaf1[2], 12, when: savesAVX)
        add(.avx2, leaf7[1], 5, when: savesAVX)
        add(.avx512f, leaf7[1], 16, when: savesAVX512); add(.avx512dq, leaf7[1], 17, when: savesAVX512)
        add(.avx512bw, leaf7[1], 30, when: savesAVX512); add(.avx512vl, leaf7[1], 31, when: savesAVX512)
        add(.avx512vnni, leaf7[2], 11, when: savesAVX512); add(.avx512bf16, leaf7s1[0], 5, when: savesAVX512)
        var brand = ""
        if let extended = query(0x8000_0000), extended[0] >= 0x8000_0004 {
            brand = text((0x8000_0002...0x8000_0004).flatMap { query(UInt32($0)) ?? [0, 0, 0, 0] })
        }
        return CPUIdentity(vendor: vendor, family: family, model: model,
                           name: brand.trimmingCharacters(in: .whitespaces), features: features)
    }

    /// Registers as the little-endian ASCII they hold, up to the first NUL.
    private static func text(_ words: [UInt32]) -> String {
        let bytes = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The instruction-set features a kernel choice looks at, in cpuinfo's spelling.
public enum CPUFeature: String, CaseIterable, Sendable, Comparable {
    case sse3, ssse3, sse41 = "sse4_1", sse42 = "sse4_2", avx, fma, avx2
    case avx512f, avx512bw, avx512dq, avx512vl, avx512vnni = "avx512_vnni", avx512bf16 = "avx512_bf16"

    public static func < (a: CPUFeature, b: CPUFeature) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Vector widths GEMM kernels are written for, narrowest first.
public enum VectorTier: Int, Comparable, Sendable, CustomStringConvertible {
    case sse, avx, avx2, avx512

    public static func < (a: VectorTier, b: VectorTier) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }
}
