import TowerCLI
import TowerEvaluation
import TowerModel
import TowerOfflineUseCases

extension ServingTables {
    /// `writeSimilar`, with its line of output when it wrote.
    func writeSimilarReporting(_ model: UserTowerModel, catalog: CatalogVectors) throws {
        guard let written = try writeSimilar(model, catalog: catalog) else { return }
        print("wrote product_neighbors kind similar (\(written) rows, \(ItemNeighbors.defaultLimit) per product with events)")
    }
}

extension ModelData {
    /// Runs `load` (`training` or `evaluation`) with the bar of reading the event log.
    static func reading(_ load: ((Int) -> Void) throws -> ModelData) throws -> ModelData {
        let bar = ProgressBar("reading events", total: nil, unit: "events")
        let data = try load { bar.advance(by: $0) }
        bar.finish()
        return data
    }
}
