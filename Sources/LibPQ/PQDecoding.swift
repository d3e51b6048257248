import Foundation

/// One field of a result row in PostgreSQL's binary format.
public struct PQCell {
    /// The raw binary bytes (valid only while the result lives).
    public let bytes: UnsafeRawBufferPointer
    /// The column's type OID.
    public let typeOID: UInt32
    /// The column name, for error messages.
    public let column: String

    func fail(_ message: String) -> PQError { .decoding(column: column, message: message) }

    func readInt<T: FixedWidthInteger>(_: T.Type, at offset: Int = 0) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// PostgreSQL type OIDs the decoders know (pgvector's `vector` has no fixed OID and is recognised by shape).
public enum PQType {
    public static let bool: UInt32 = 16, bytea: UInt32 = 17, name: UInt32 = 19, int8: UInt32 = 20, int2: UInt32 = 21
    public static let int4: UInt32 = 23, text: UInt32 = 25, oid: UInt32 = 26, json: UInt32 = 114, float4: UInt32 = 700
    public static let float8: UInt32 = 701, unknown: UInt32 = 705, bpchar: UInt32 = 1042, varchar: UInt32 = 1043
    public static let date: UInt32 = 1082, timestamp: UInt32 = 1114, timestamptz: UInt32 = 1184, numeric: UInt32 = 1700
    public static let jsonb: UInt32 = 3802, textArray: UInt32 = 1009, varcharArray: UInt32 = 1015
    public static let int8Array: UInt32 = 1016, int4Array: UInt32 = 1007, float4Array: UInt32 = 1021, float8Array: UInt32 = 1022
}

/// A Swift type that can be read from a binary result field.
public protocol PQDecodable {
    static func decode(_ cell: PQCell) throws -> Self
}

extension Int64: PQDecodable {
    public static func decode(_ c: PQCell) throws -> Int64 {
        switch (c.typeOID, c.bytes.count) {
        case (PQType.int8, 8): return c.readInt(Int64.self)
        case (PQType.int4, 4), (PQType.oid, 4): return Int64(c.readInt(Int32.self))
        case (PQType.int2, 2): return Int64(c.readInt(Int16.self))
        case (PQType.numeric, _):
            let d = try Double.decode(c)
            guard d == d.rounded(), abs(d) < 9.2e18 else { throw c.fail("numeric \(d) is not an int64") }
            return Int64(d)
        default: throw c.fail("type OID \(c.typeOID) is not an integer")
        }
    }
}

extension Int: PQDecodable {
    public static func decode(_ c: PQCell) throws -> Int { Int(try Int64.decode(c)) }
}

extension Int32: PQDecodable {
    public static func decode(_ c: PQCell) throws -> Int32 {
        let v = try Int64.decode(c)
        guard let r = Int32(exactly: v) else { throw c.fail("\(v) does not fit in Int32") }
        return r
    }
}

extension Double: PQDecodable {
    public static func decode(_ c: PQCell) throws -> Double {
        switch (c.typeOID, c.bytes.count) {
        case (PQType.float8, 8): return Double(bitPattern: c.readInt(UInt64.self))
        case (PQType.float4, 4): return Double(Float(bitPattern: c.readInt(UInt32.self)))
        case (PQType.int8, _), (PQType.int4, _), (PQType.int2, _): return Double(try Int64.decode(c))
        case (PQType.numeric, _): return try decodeNumeric(c)
        default: throw c.fail("type OID \(c.typeOID) is not a number")
        }
    }

    /// Binary numeric: ndigits, weight, sign, dscale (int16 each), then base-10000 digits.
    private static func decodeNumeric(_ c: PQCell) throws -> Double {
        guard c.bytes.count >= 8 else { throw c.fail("short numeric") }
        let ndigits = Int(c.readInt(Int16.self, at: 0)), weight = Int(c.readInt(Int16.self, at: 2))
        let sign = c.readInt(UInt16.self, at: 4)
        if sign == 0xC000 { return .nan }
        var value = 0.0
        for i in 0..<ndigits {
            value += Double(c.readInt(Int16.self, at: 8 + 2 * i)) * pow(10_000, Double(weight - i))
        }
        return sign == 0x4000 ? -value : value
    }
}

extension Float: PQDecodable {
    public static func decode(_ c: PQCell) throws -> Float { Float(try Double.decode(c)) }
}

extension Bool: PQDecodable {
    public static func decode(_ c: PQCell) throws -> Bool {
        guard c.typeOID == PQType.bool, c.bytes.count == 1 else { throw c.fail("type OID \(c.typeOID) is not bool") }
        return c.bytes[0] != 0
    }
}

extension String: PQDecodable {
    public static func decode(_ c: PQCell) throws -> String {
        switch c.typeOID {
        case PQType.text, PQType.varchar, PQType.bpchar, PQType.name, PQType.unknown, PQType.json:
            return String(decoding: c.bytes, as: UTF8.self)
        case PQType.jsonb:
            return String(decoding: c.bytes.dropFirst(), as: UTF8.self)
        default:
            throw c.fail("type OID \(c.typeOID) is not text (cast it with ::text)")
        }
    }
}

extension Date: PQDecodable {
    /// PostgreSQL's epoch (2000-01-01) in Unix seconds.
    static let postgresEpoch: TimeInterval = 946_684_800

    public static func decode(_ c: PQCell) throws -> Date {
        switch (c.typeOID, c.bytes.count) {
        case (PQType.timestamptz, 8), (PQType.timestamp, 8):
            return Date(timeIntervalSince1970: postgresEpoch + Double(c.readInt(Int64.self)) / 1_000_000)
        case (PQType.date, 4):
            return Date(timeIntervalSince1970: postgresEpoch + Double(c.readInt(Int32.self)) * 86_400)
        default: throw c.fail("type OID \(c.typeOID) is not a timestamp")
        }
    }
}

extension Array: PQDecodable where Element: PQDecodable {
    /// One-dimensional arrays; a pgvector `vector` decodes as `[Float]`.
    public static func decode(_ c: PQCell) throws -> [Element] {
        if Element.self == Float.self, c.typeOID != PQType.float4Array {
            // Element is Float here: a bit cast, not `as!`, which would cast element by element.
            return unsafeBitCast(try decodeVector(c), to: [Element].self)
        }
        guard c.bytes.count >= 12 else { throw c.fail("type OID \(c.typeOID) is not an array") }
        let ndim = Int(c.readInt(Int32.self, at: 0))
        if ndim == 0 { return [] }
        guard ndim == 1 else { throw c.fail("only one-dimensional arrays are supported") }
        let elementOID = c.readInt(UInt32.self, at: 8)
        let count = Int(c.readInt(Int32.self, at: 12))
        var offset = 20, out: [Element] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let len = Int(c.readInt(Int32.self, at: offset)); offset += 4
            guard len >= 0 else { throw c.fail("array contains NULL") }
            let cell = PQCell(bytes: UnsafeRawBufferPointer(rebasing: c.bytes[offset..<(offset + len)]),
                                    typeOID: elementOID, column: c.column)
            out.append(try Element.decode(cell)); offset += len
        }
        return out
    }

    /// pgvector binary: int16 dimension, int16 unused, then big-endian float4 values.
    private static func decodeVector(_ c: PQCell) throws -> [Float] {
        guard c.bytes.count >= 4 else { throw c.fail("type OID \(c.typeOID) is not a vector") }
        let dim = Int(c.readInt(Int16.self, at: 0))
        guard c.bytes.count == 4 + 4 * dim else { throw c.fail("type OID \(c.typeOID) is not a vector") }
        return [Float](unsafeUninitializedCapacity: dim) { buf, n in
            for i in 0..<dim { buf[i] = Float(bitPattern: c.readInt(UInt32.self, at: 4 + 4 * i)) }
            n = dim
        }
    }
}

/// Raw bytes of a `bytea` column.
public struct PQBytes: PQDecodable, Equatable, Sendable {
    public let bytes: [UInt8]
    public static func decode(_ c: PQCell) throws -> PQBytes {
        guard c.typeOID == PQType.bytea else { throw c.fail("type OID \(c.typeOID) is not bytea") }
        return PQBytes(bytes: Array(c.bytes))
    }
}
