/// A dense row-major Float32 matrix over one contiguous buffer.
public struct Matrix: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    /// Row-major storage: element (r, c) is `data[r * cols + c]`.
    public var data: [Float]

    /// A zero-filled `rows × cols` matrix.
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.data = [Float](repeating: 0, count: rows * cols)
    }

    /// A matrix over existing row-major data (`data.count == rows * cols`).
    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(data.count == rows * cols, "matrix data has \(data.count) values, expected \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    public subscript(row: Int, col: Int) -> Float {
        get { data[row * cols + col] }
        set { data[row * cols + col] = newValue }
    }

    /// A copy of one row.
    public func row(_ r: Int) -> [Float] { Array(data[(r * cols)..<((r + 1) * cols)]) }

    /// The transpose (a copy).
    public func transposed() -> Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for r in 0..<rows { for c in 0..<cols { t.data[c * rows + r] = data[r * cols + c] } }
        return t
    }
}
