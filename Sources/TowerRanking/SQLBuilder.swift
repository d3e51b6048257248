import LibPQ

/// Collects the parameters of one statement and hands out their placeholders (`$1`, `$2`, …),
/// so every value reaches PostgreSQL as a parameter and never as SQL text.
struct SQLBuilder {
    private(set) var parameters: [(any PQBindable)?] = []
    private(set) var conditions: [String] = []

    /// Adds `value` as the next parameter and returns its placeholder.
    mutating func bind(_ value: any PQBindable) -> String {
        parameters.append(value)
        return "$\(parameters.count)"
    }

    /// Adds a condition to the WHERE clause (all conditions are ANDed).
    mutating func require(_ condition: String) { conditions.append(condition) }

    /// `WHERE a AND b …` (or nothing).
    var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}
