import ArgumentParser
import TowerCLI
import TowerStore

/// `tower catalog import FILE`: upserts products.
struct CatalogImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import products from JSON Lines (upsert by product_id).",
        discussion: """
        Each line is one product:
          {"product_id": 1, "name": "Trail Runner 2", "merchant": "Acme",
           "categories": ["Shoes", "Running"], "color": "red", "price": 89.9,
           "created_at": "2024-05-01T12:00:00Z"}
        Required: product_id, name. Optional: merchant, categories (root first), color, price (≥ 0), \
        created_at, and the overrides price_tier (budget, mid-range, premium, luxury), popularity (≥ 0) and \
        active (true/false). Existing products are updated: a missing created_at or active keeps the stored \
        value; a missing price_tier or popularity hands it back to Tower's computation. When an id repeats, \
        the last line wins. Products are written in batches of 5,000, one transaction each; re-running a \
        file is safe. Popularity is recomputed afterwards.
        """ + "\n\n" + ImportSupport.fileHelp)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The products file (.jsonl or .jsonl.gz).")
    var file: String

    func run() async throws {
        try await runReportingErrors {
            let (connection, total) = try ImportSupport.prepare(global, file: file)
            let progress = ProgressBar("importing products", total: total, unit: "lines")
            let report = try CatalogImporter(connection, settings: try global.settings())
                .importFile(path: file, progress: { progress.advance(by: $0) })
            progress.finish()
            let c = report.counts
            print("products: \(c.inserted) new, \(c.updated) updated, \(c.unchanged) unchanged; "
                  + "\(report.lines.rejectedCount) lines rejected; popularity changed for \(report.popularityChanged)")
            try ImportSupport.finish(report.lines)
        }
    }
}
