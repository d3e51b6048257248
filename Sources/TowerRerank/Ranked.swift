/// A product id with its score, ranked best first: score descending, then id ascending (a total order over distinct ids).
struct Ranked {
    var id: Int64
    var score: Float

    static func before(_ a: Ranked, _ b: Ranked) -> Bool { a.score != b.score ? a.score > b.score : a.id < b.id }

    /// The `k` best of `items`, best first: selects them in linear time (quickselect), then sorts only those.
    static func best(_ items: [Ranked], _ k: Int) -> [Ranked] {
        var items = items
        if items.count > k {
            // Narrow [low, high] to the part holding position k − 1 until everything before it ranks before it.
            var low = 0, high = items.count - 1
            while low < high {
                let pivot = items[(low + high) / 2]
                var i = low, j = high
                while i <= j {
                    while before(items[i], pivot) { i += 1 }
                    while before(pivot, items[j]) { j -= 1 }
                    if i <= j {
                        items.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if k - 1 <= j { high = j } else if k - 1 >= i { low = i } else { break }
            }
            items.removeLast(items.count - k)
        }
        items.sort(by: before)
        return items
    }
}
