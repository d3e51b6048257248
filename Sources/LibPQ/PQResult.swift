import CLibPQ

/// The rows of one statement's result (binary format). Rows decode lazily.
public final class PQResult: @unchecked Sendable {
    let handle: OpaquePointer
    /// Number of rows returned.
    public let count: Int
    /// Column names, in order.
    public let columns: [String]
    /// Rows affected by INSERT/UPDATE/DELETE (0 otherwise).
    public let affectedRows: Int

    init(_ handle: OpaquePointer) {
        self.handle = handle
        count = Int(PQntuples(handle))
        columns = (0..<PQnfields(handle)).map { String(cString: PQfname(handle, $0)) }
        affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    deinit { PQclear(handle) }

    /// The row at `index`.
    public subscript(index: Int) -> PQRow {
        precondition(index >= 0 && index < count, "row \(index) out of range 0..<\(count)")
        return PQRow(result: self, index: Int32(index))
    }

    /// All rows.
    public var rows: [PQRow] { (0..<count).map { self[$0] } }
}

/// One row of a `PQResult`.
public struct PQRow {
    let result: PQResult
    let index: Int32

    /// True when the column holds SQL NULL.
    public func isNull(_ column: Int) -> Bool { PQgetisnull(result.handle, index, Int32(column)) == 1 }

    /// Decodes a non-NULL column; NULL throws.
    public func decode<T: PQDecodable>(_ column: Int, as _: T.Type = T.self) throws -> T {
        guard let v = try decodeIfPresent(column, as: T.self) else {
            throw PQError.decoding(column: name(column), message: "unexpected NULL")
        }
        return v
    }

    /// Decodes a column, nil for SQL NULL.
    public func decodeIfPresent<T: PQDecodable>(_ column: Int, as _: T.Type = T.self) throws -> T? {
        precondition(column >= 0 && column < result.columns.count, "column \(column) out of range")
        if isNull(column) { return nil }
        let c = Int32(column)
        let length = Int(PQgetlength(result.handle, index, c))
        let cell = PQCell(bytes: UnsafeRawBufferPointer(start: PQgetvalue(result.handle, index, c), count: length),
                                typeOID: UInt32(PQftype(result.handle, c)), column: name(column))
        return try T.decode(cell)
    }

    /// Decodes a column found by name.
    public func decode<T: PQDecodable>(_ name: String, as _: T.Type = T.self) throws -> T {
        guard let i = result.columns.firstIndex(of: name) else {
            throw PQError.decoding(column: name, message: "no such column in the result")
        }
        return try decode(i, as: T.self)
    }

    private func name(_ column: Int) -> String { result.columns[column] }
}
