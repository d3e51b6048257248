import Foundation
import TowerConfig
import TowerModel
import TowerStore

/// Why a model file is not taken into service.
public enum ModelHolderError: Error, CustomStringConvertible, Equatable {
    /// The model computes vectors of another width than the schema stores.
    case wrongWidth(path: String, found: Int, expected: Int)
    /// On reload, the file that is running has gone: the running model stays (no silent switch to the untrained one).
    case fileMissing(path: String)

    public var description: String {
        switch self {
        case .wrongWidth(let path, let found, let expected):
            return "the model at \(path) computes \(found)-value vectors, the database stores vector(\(expected)): train it for \(expected) dimensions (or point TOWER_MODEL_PATH at the right file)"
        case .fileMissing(let path):
            return "no model file at \(path) any more; the running model stays: put the file back (or restart towerd to run the untrained default)"
        }
    }
}

/// The user tower the workers run, swapped atomically on reload (SIGHUP).
///
/// The model comes from TOWER_MODEL_PATH when that file exists, else it is the untrained default
/// (the event-weighted, recency-decayed mean of the product vectors). A model is taken into service only when its
/// vectors have the schema's width (`UserVectorRepository.dimension`).
public final class ModelHolder: @unchecked Sendable {
    /// Where the current model came from.
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        /// No file at the path: the untrained default runs.
        case untrainedDefault(missingFile: String)

        public var description: String {
            switch self {
            case .file(let path): return "file \(path)"
            case .untrainedDefault(let path): return "untrained default (no file at \(path))"
            }
        }
    }

    public let path: String
    private let eventWeights: [String: Float]
    private let lock = NSLock()
    private var encoder: any UserEncoder
    private var origin: Origin

    /// Loads the model; a file that exists but cannot be read is an error (not a silent fallback).
    public init(path: String, eventTypes: EventTypes) throws {
        self.path = path
        eventWeights = eventTypes.weights
        (encoder, origin) = try Self.load(path: path, eventWeights: eventWeights)
    }

    /// The model to use for one batch (a batch keeps the model it started with).
    public var current: any UserEncoder { lock.withLock { encoder } }

    /// The current model's origin.
    public var currentOrigin: Origin { lock.withLock { origin } }

    /// Loads the file again and swaps it in. On failure the running model stays and the error is thrown; a file
    /// that went missing while it runs is such a failure (`ModelHolderError.fileMissing`).
    @discardableResult
    public func reload() throws -> (version: String, origin: Origin) {
        if case .file = currentOrigin, !FileManager.default.fileExists(atPath: path) { throw ModelHolderError.fileMissing(path: path) }
        let (next, from) = try Self.load(path: path, eventWeights: eventWeights)
        lock.withLock { (encoder, origin) = (next, from) }
        return (next.version, from)
    }

    private static func load(path: String, eventWeights: [String: Float]) throws -> (any UserEncoder, Origin) {
        guard FileManager.default.fileExists(atPath: path) else {
            return (UserTowerModel.untrained(eventWeights: eventWeights), .untrainedDefault(missingFile: path))
        }
        let model = try UserTowerModel.load(path: path, eventWeights: eventWeights)
        guard model.config.dimension == UserVectorRepository.dimension else {
            throw ModelHolderError.wrongWidth(path: path, found: model.config.dimension, expected: UserVectorRepository.dimension)
        }
        return (model, .file(path))
    }
}
