import Foundation
import TowerMath

/// A problem reading or writing a safetensors file, naming the file, tensor and what to do.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case unsupportedDType(path: String, name: String, dtype: String)
    case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    case invalidTensor(name: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read safetensors file \(path): \(reason); check the path and its permissions"
        case .malformed(let path, let reason):
            return "\(path) is not a valid safetensors file (\(reason)); the file is damaged or truncated: fetch or write it again"
        case .missingTensor(let path, let name):
            return "\(path) has no tensor \"\(name)\"; the file holds a different model: fetch or write the expected one"
        case .unsupportedDType(let path, let name, let dtype):
            return "tensor \"\(name)\" in \(path) has dtype \(dtype); only F32, F16 and BF16 can be read as floats"
        case .shapeMismatch(let path, let name, let expected, let found):
            return "tensor \"\(name)\" in \(path) has shape \(found), expected \(expected); the file holds a different model configuration"
        case .invalidTensor(let name, let reason):
            return "cannot write tensor \"\(name)\": \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write safetensors file \(path): \(reason); check that the folder exists and is writable"
        }
    }
}

/// Where one tensor lives in a safetensors file.
public struct SafeTensorInfo: Equatable, Sendable {
    /// The dtype as written in the header (`F32`, `F16`, `BF16`, `I64`, …).
    public let dtype: String
    public let shape: [Int]
    /// Byte range inside the data section (after the header).
    public let byteRange: Range<Int>

    /// Number of elements (product of the shape; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}

/// A safetensors file opened for reading (memory-mapped when the platform allows).
///
/// Format: 8-byte little-endian header length, a JSON header mapping tensor names to
/// `dtype`, `shape` and `data_offsets` (plus an optional `__metadata__` string map),
/// then the little-endian tensor data.
public struct SafeTensorsFile: Sendable {
    /// The file path (or a label for in-memory data), used in error messages.
    public let path: String
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Every tensor's location, by name.
    public let tensors: [String: SafeTensorInfo]
    private let bytes: Data
    private let dataStart: Int

    /// Opens and validates the file at `path`.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path)
                                              ? "\(error.localizedDescription)" : "no such file")
        }
        try self.init(data: data, path: path)
    }

    /// The largest header read (the format's own limit): a corrupt length cannot make the reader allocate more.
    public static let maxHeaderBytes = 100_000_000

    /// Parses and validates safetensors bytes; `path` labels error messages.
    public init(data: Data, path: String) throws {
        self.path = path
        self.bytes = data
        guard data.count >= 8 else { throw SafeTensorsError.malformed(path: path, reason: "only \(data.count) bytes") }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError.malformed(path: path, reason: "header length \(headerLength) exceeds the file size \(data.count)")
        }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw SafeTensorsError.malformed(path: path, reason: "header length \(headerLength) is over the format's \(Self.maxHeaderBytes)-byte limit")
        }
        dataStart = 8 + Int(headerLength)
        let header = data.subdata(in: data.startIndex + 8 ..< data.startIndex + dataStart)
        guard let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any] else {
            throw SafeTensorsError.malformed(path: path, reason: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: SafeTensorInfo] = [:]
        let dataSize = data.count - dataStart
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw SafeTensorsError.malformed(path: path, reason: "__metadata__ is not a map of strings")
                }
                metadata = map
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, dataSize: dataSize, path: path)
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    private static func parseEntry(name: String, value: Any, dataSize: Int, path: String) throws -> SafeTensorInfo {
        guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
              let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
              let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
              shape.count == (entry["shape"] as? [Any])?.count, offsets.count == 2 else {
            throw SafeTensorsError.malformed(path: path, reason: "tensor \"\(name)\" needs dtype, shape and two data_offsets")
        }
        guard shape.allSatisfy({ $0 >= 0 }), 0 <= offsets[0], offsets[0] <= offsets[1], offsets[1] <= dataSize else {
            throw SafeTensorsError.malformed(path: path, reason: "tensor \"\(name)\" has offsets \(offsets) outside the \(dataSize)-byte data section")
        }
        // The element count must not overflow, and a readable dtype's shape must match its bytes exactly, so what
        // a reader allocates is bounded by the file.
        let count = shape.reduce(Optional(1)) { total, n in
            total.flatMap { t in let (p, overflow) = t.multipliedReportingOverflow(by: n); return overflow ? nil : p }
        }
        let length = offsets[1] - offsets[0]
        func fits(_ count: Int, _ size: Int) -> Bool {
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            return !overflow && bytes == length
        }
        guard let count, elementSize[dtype].map({ fits(count, $0) }) ?? true else {
            throw SafeTensorsError.malformed(path: path, reason: "tensor \"\(name)\" of shape \(shape) and dtype \(dtype) does not fit its \(length) bytes")
        }
        return SafeTensorInfo(dtype: dtype, shape: shape, byteRange: offsets[0] ..< offsets[1])
    }

    private static let elementSize: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
        "U16": 2, "U32": 4, "U64": 8,
    ]

    /// Tensor names, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// A tensor's values as Float (F32 as is; F16 and BF16 widened), row-major.
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        let n = info.count
        let offset = dataStart + info.byteRange.lowerBound
        return try bytes.withUnsafeBytes { raw -> [Float] in
            let base = UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + info.byteRange.count])
            switch info.dtype {
            case "F32":
                return [Float](unsafeUninitializedCapacity: n) { out, count in
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                    count = n
                }
            case "F16":
                return (0..<n).map { Half.toFloat(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            case "BF16":
                return (0..<n).map { Float(bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            default:
                throw SafeTensorsError.unsupportedDType(path: path, name: name, dtype: info.dtype)
            }
        }
    }

    /// A tensor's values, checking that its shape is exactly `shape`.
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        guard info.shape == shape else {
            throw SafeTensorsError.shapeMismatch(path: path, name: name, expected: shape, found: info.shape)
        }
        return try floats(name)
    }

    /// A 2-D tensor of shape `[rows, cols]` as a matrix.
    public func matrix(_ name: String, rows: Int, cols: Int) throws -> Matrix {
        Matrix(rows: rows, cols: cols, data: try floats(name, shape: [rows, cols]))
    }
}

/// One Float32 tensor to write.
public struct SafeTensor: Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// A matrix as a 2-D tensor.
    public init(name: String, matrix: Matrix) {
        self.init(name: name, shape: [matrix.rows, matrix.cols], values: matrix.data)
    }
}

/// Writes Float32 tensors in the safetensors format.
public enum SafeTensorsWriter {
    /// The file bytes for `tensors` (in the given order) and `metadata`.
    public static func encode(_ tensors: [SafeTensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in tensors {
            guard t.name != "__metadata__", header[t.name] == nil else {
                throw SafeTensorsError.invalidTensor(name: t.name, reason: "the name is reserved or used twice")
            }
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw SafeTensorsError.invalidTensor(name: t.name, reason: "shape \(t.shape) does not hold \(t.values.count) values")
            }
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]] as [String: Any]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned (allowed by the format).
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            let le = t.values.map { $0.bitPattern.littleEndian }
            le.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes the file atomically: a temporary file beside `path`, then a rename over it.
    public static func write(_ tensors: [SafeTensor], metadata: [String: String] = [:], to path: String) throws {
        let data = try encode(tensors, metadata: metadata)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafeTensorsError.unwritable(path: path, reason: error.localizedDescription)
        }
    }
}

/// IEEE 754 half-precision to single-precision conversion.
enum Half {
    static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa * 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
        }
    }
}
