import Foundation
import TowerRerank

/// A problem with a user tower weights file, naming the file and what to do about it.
public enum UserTowerWeightsError: Error, CustomStringConvertible, Equatable {
    case file(SafeTensorsError)
    case notUserTower(path: String, format: String?)
    case unsupportedFormatVersion(path: String, found: String, supported: String)
    case badMetadata(path: String, key: String, reason: String)
    case invalidConfig(path: String, reason: String)
    case nonFiniteValues(path: String, tensor: String)
    case unexpectedTensors(path: String, names: [String])

    public var description: String {
        let retrain = "train it again with `tower train`, or delete it to run the untrained default"
        switch self {
        case .file(let error):
            return "\(error)"
        case .notUserTower(let path, let format):
            return "\(path) is not a Tower user tower weights file (metadata format is \(format.map { "\"\($0)\"" } ?? "missing"), "
                + "expected \"\(UserTowerWeights.format)\"); point TOWER_MODEL_PATH or --model at a file written by `tower train`"
        case .unsupportedFormatVersion(let path, let found, let supported):
            return "\(path) has weights format version \(found), this build reads version \(supported): \(retrain)"
        case .badMetadata(let path, let key, let reason):
            return "\(path): metadata \"\(key)\" \(reason); the file is damaged: \(retrain)"
        case .invalidConfig(let path, let reason):
            return "\(path): the model configuration is invalid (\(reason)): \(retrain)"
        case .nonFiniteValues(let path, let tensor):
            return "\(path): tensor \"\(tensor)\" holds NaN or infinite values (training diverged): \(retrain)"
        case .unexpectedTensors(let path, let names):
            return "\(path) holds tensors this model does not have: \(names.joined(separator: ", ")); it was written by another model type: \(retrain)"
        }
    }
}

/// The weights file: safetensors with the configuration and version in `__metadata__` (see docs/model.md).
///
/// Metadata keys: `format` = "tower-user-tower", `format_version` = "1", `version` (the model version stored
/// with user vectors), `config` (JSON of `UserTowerConfig`), optional `item_product_ids` (JSON array of the
/// products with a learned residual, in `item_residual` row order) and free-form `training` notes.
/// Tensors: the `UserTowerParameters` slots (F32, exact shapes) and optional `item_residual` [products, dimension].
public enum UserTowerWeights {
    public static let format = "tower-user-tower"
    public static let formatVersion = "1"
    static let itemResidual = "item_residual"

    /// Writes the model atomically (temporary file, then rename).
    public static func save(_ model: UserTowerModel, training: String? = nil, to path: String) throws {
        let p = model.parameters
        var tensors = p.slots.map { SafeTensor(name: $0.name, shape: $0.shape, values: Array(p.values[$0.range])) }
        var metadata = [
            "format": format, "format_version": formatVersion, "version": model.version,
            "config": String(decoding: try JSONEncoder.sorted.encode(p.config), as: UTF8.self),
        ]
        if let items = model.items {
            metadata["item_product_ids"] = String(decoding: try JSONEncoder.sorted.encode(items.productIDs), as: UTF8.self)
            tensors.append(SafeTensor(name: itemResidual, shape: [items.productIDs.count, items.dimension], values: items.residuals))
        }
        if let training { metadata["training"] = training }
        if let rerank = model.rerank { metadata["rerank"] = try rerank.json() }
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
        } catch {
            throw UserTowerWeightsError.file(.unwritable(path: path, reason: error.localizedDescription))
        }
        do { try SafeTensorsWriter.write(tensors, metadata: metadata, to: path) } catch let e as SafeTensorsError {
            throw UserTowerWeightsError.file(e)
        }
    }

    /// Reads and checks a weights file: format, configuration, every tensor's presence, shape and finiteness.
    public static func load(path: String, eventWeights: [String: Float], fallbackEventName: String? = nil) throws -> UserTowerModel {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: path) } catch let e as SafeTensorsError { throw UserTowerWeightsError.file(e) }
        let meta = file.metadata
        guard meta["format"] == format else { throw UserTowerWeightsError.notUserTower(path: path, format: meta["format"]) }
        guard let fv = meta["format_version"], fv == formatVersion else {
            throw UserTowerWeightsError.unsupportedFormatVersion(path: path, found: meta["format_version"] ?? "(missing)", supported: formatVersion)
        }
        guard let version = meta["version"], !version.isEmpty else {
            throw UserTowerWeightsError.badMetadata(path: path, key: "version", reason: "is missing")
        }
        guard let configText = meta["config"] else { throw UserTowerWeightsError.badMetadata(path: path, key: "config", reason: "is missing") }
        let config: UserTowerConfig
        do { config = try JSONDecoder().decode(UserTowerConfig.self, from: Data(configText.utf8)) } catch {
            throw UserTowerWeightsError.badMetadata(path: path, key: "config", reason: "is not a user tower configuration (\(error))")
        }
        if let problem = config.problem { throw UserTowerWeightsError.invalidConfig(path: path, reason: problem) }

        var parameters = UserTowerParameters(config: config)
        for slot in parameters.slots {
            let values: [Float]
            do { values = try file.floats(slot.name, shape: slot.shape) } catch let e as SafeTensorsError { throw UserTowerWeightsError.file(e) }
            guard values.allSatisfy(\.isFinite) else { throw UserTowerWeightsError.nonFiniteValues(path: path, tensor: slot.name) }
            parameters.values.replaceSubrange(slot.range, with: values)
        }
        let items = try loadItems(file, meta: meta, dimension: config.dimension, path: path)
        let known = Set(parameters.slots.map(\.name) + (items == nil ? [] : [itemResidual]))
        let extra = file.names.filter { !known.contains($0) }
        guard extra.isEmpty else { throw UserTowerWeightsError.unexpectedTensors(path: path, names: extra) }
        var rerank: RerankParameters?
        if let text = meta["rerank"] {
            do { rerank = try RerankParameters.decode(json: text) } catch {
                throw UserTowerWeightsError.badMetadata(path: path, key: "rerank", reason: "\(error)")
            }
        }
        return UserTowerModel(parameters: parameters, eventWeights: eventWeights, fallbackEventName: fallbackEventName,
                              version: version, items: items, rerank: rerank)
    }

    private static func loadItems(_ file: SafeTensorsFile, meta: [String: String], dimension: Int, path: String) throws -> ItemTower? {
        guard let idsText = meta["item_product_ids"] else {
            if file.tensors[itemResidual] != nil {
                throw UserTowerWeightsError.badMetadata(path: path, key: "item_product_ids", reason: "is missing although the file has \(itemResidual)")
            }
            return nil
        }
        guard let ids = try? JSONDecoder().decode([Int64].self, from: Data(idsText.utf8)) else {
            throw UserTowerWeightsError.badMetadata(path: path, key: "item_product_ids", reason: "is not a JSON array of integers")
        }
        guard Set(ids).count == ids.count else {
            throw UserTowerWeightsError.badMetadata(path: path, key: "item_product_ids", reason: "repeats a product id")
        }
        let residuals: [Float]
        do { residuals = try file.floats(itemResidual, shape: [ids.count, dimension]) } catch let e as SafeTensorsError {
            throw UserTowerWeightsError.file(e)
        }
        guard residuals.allSatisfy(\.isFinite) else { throw UserTowerWeightsError.nonFiniteValues(path: path, tensor: itemResidual) }
        return ItemTower(dimension: dimension, productIDs: ids, residuals: residuals)
    }
}

extension UserTowerModel {
    /// Loads a weights file written by `save` (see `UserTowerWeights.load`).
    public static func load(path: String, eventWeights: [String: Float], fallbackEventName: String? = nil) throws -> UserTowerModel {
        try UserTowerWeights.load(path: path, eventWeights: eventWeights, fallbackEventName: fallbackEventName)
    }

    /// Writes the weights file atomically.
    public func save(path: String, training: String? = nil) throws {
        try UserTowerWeights.save(self, training: training, to: path)
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so equal values give equal bytes.
    package static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
