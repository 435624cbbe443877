/// The typed configuration of one layer section.
public enum LayerConfig: Equatable, Sendable {
    case convolutional(ConvolutionalConfig)
    case connected(ConnectedConfig)
    case maxpool(PoolConfig)
    case localAvgpool(PoolConfig)
    case avgpool
    case route(RouteConfig)
    case shortcut(ShortcutConfig)
    case upsample(UpsampleConfig)
    case yolo(YoloConfig)
    case region(RegionConfig)
    case softmax(SoftmaxConfig)
    case dropout(DropoutConfig)
    /// Legacy YOLOv2 `[reorg]`.
    case reorg(ReorgConfig)
    case reorg3d(ReorgConfig)
    case sam(SamConfig)
    case scaleChannels(ScaleChannelsConfig)
    case batchnorm
    case activation(Activation)
    /// `[empty]` / `[silence]`: identity.
    case empty
    case cost(CostConfig)
}

/// One layer of a parsed cfg: its index (0 = first section after `[net]`), header line and typed options.
public struct LayerSpec: Equatable, Sendable {
    public var index: Int
    public var line: Int
    /// The section name as written (e.g. `conv`).
    public var sectionName: String
    public var config: LayerConfig
    public var common: CommonLayerOptions
}

/// A parsed darknet cfg: `[net]` plus typed layers, and the non-fatal diagnostics (unused keys) found on the way.
public struct NetworkConfig: Sendable {
    public var path: String
    public var net: NetConfig
    public var layers: [LayerSpec]
    /// Unused keys, one per line, as warnings.
    public var diagnostics: [Diagnostic]

    /// Section names and aliases of darknet that swiftnet recognises but does not run.
    static let unsupportedSections: Set<String> = [
        "crop", "local", "implicit", "contrastive", "rnn", "gru", "lstm", "conv_lstm", "crnn", "history",
        "Gaussian_yolo", "detection", "normalization", "lrn", "deconvolutional", "deconv", "xnor",
    ]

    /// Parses a cfg file.
    public init(contentsOf path: String) throws {
        try self.init(document: CfgDocument(contentsOf: path))
    }

    /// Parses cfg text (`path` names it in messages).
    public init(text: String, path: String) throws {
        try self.init(document: CfgDocument(text: text, path: path))
    }

    public init(document: CfgDocument) throws {
        path = document.path
        diagnostics = []
        layers = []
        guard let first = document.sections.first else {
            throw SwiftnetError.cfg(path: path, line: nil, message: "no sections (expected [net] followed by layers)")
        }
        guard first.name == "net" || first.name == "network" else {
            throw SwiftnetError.cfg(path: path, line: first.line, message: "first section must be [net] or [network], got [\(first.name)]")
        }
        var netReader = OptionReader(path: path, section: first)
        net = try Self.withTypoHints(&netReader) { try NetConfig.parse(&$0) }
        report(netReader)
        for (offset, section) in document.sections.dropFirst().enumerated() {
            var r = OptionReader(path: path, section: section)
            let config = try Self.withTypoHints(&r) { try Self.parseLayer(&$0, index: offset) }
            let common = try Self.withTypoHints(&r) { try CommonLayerOptions.parse(&$0) }
            layers.append(LayerSpec(index: offset, line: section.line, sectionName: section.name, config: config, common: common))
            report(r)
        }
        guard !layers.isEmpty else {
            throw SwiftnetError.cfg(path: path, line: first.line, message: "no layers after [\(first.name)]")
        }
    }

    /// Runs a section's parser; an error it throws gets the section's misspelt keys added (`widht=` is why width is
    /// missing).
    static func withTypoHints<T>(_ reader: inout OptionReader, _ body: (inout OptionReader) throws -> T) throws -> T {
        do {
            return try body(&reader)
        } catch SwiftnetError.cfg(let path, let line, let message) {
            let typos = reader.unused().compactMap { option -> String? in
                guard let known = reader.suggestion(for: option.key), known != option.key else { return nil }
                return "line \(option.line): '\(option.key)' — did you mean '\(known)'?"
            }
            throw SwiftnetError.cfg(path: path, line: line, message: typos.isEmpty ? message : message + " (" + typos.joined(separator: "; ") + ")")
        }
    }

    private mutating func report(_ reader: OptionReader) {
        for (option, effect) in reader.unimplemented {
            diagnostics.append(Diagnostic(path: path, line: option.line,
                                          message: "'\(option.key)=\(option.value)' in [\(reader.section.name)] is not implemented by swiftnet and is ignored (darknet: \(effect))"))
        }
        for option in reader.unused() {
            var message = "unused key '\(option.key)' in [\(reader.section.name)]"
            if let known = reader.suggestion(for: option.key), known != option.key {
                message += " (did you mean '\(known)'?)"
            } else if reader.known.contains(option.key) {
                message += " (it appears earlier in this section; darknet uses the first)"
            }
            diagnostics.append(Diagnostic(path: path, line: option.line, message: message))
        }
    }

    static func parseLayer(_ r: inout OptionReader, index: Int) throws -> LayerConfig {
        switch r.section.name {
        case "convolutional", "conv": return .convolutional(try ConvolutionalConfig.parse(&r))
        case "connected", "conn": return .connected(try ConnectedConfig.parse(&r))
        case "maxpool", "max": return .maxpool(try PoolConfig.parse(&r, maxpool: true))
        case "local_avgpool", "local_avg": return .localAvgpool(try PoolConfig.parse(&r, maxpool: false))
        case "avgpool", "avg": return .avgpool
        case "route":
            guard let option = r.option("layers") else { throw r.sectionError("route needs layers=") }
            var route = RouteConfig()
            route.layers = try references(&r, option, index: index)
            route.groups = try r.int("groups", default: 1)
            route.groupID = try r.int("group_id", default: 0)
            guard route.groups >= 1, route.groupID >= 0, route.groupID < route.groups else {
                throw r.sectionError("group_id=\(route.groupID) must be in 0..<groups (groups=\(route.groups))")
            }
            return .route(route)
        case "shortcut":
            guard let option = r.option("from") else { throw r.sectionError("shortcut needs from=") }
            var s = ShortcutConfig()
            s.from = try references(&r, option, index: index)
            s.activation = try Activation.parse(&r, default: .linear)
            if let w = r.option("weights_type") {
                switch w.value {
                case "none": s.weights = .none
                case "per_feature", "per_layer": s.weights = .perFeature
                case "per_channel": s.weights = .perChannel
                default: throw r.error(w, "unknown value '\(w.value)'; known: none, per_feature, per_layer, per_channel")
                }
            }
            if let n = r.option("weights_normalization") {
                switch n.value {
                case "none": s.normalization = .none
                case "relu", "avg_relu": s.normalization = .relu
                case "softmax": s.normalization = .softmax
                default: throw r.error(n, "unknown value '\(n.value)'; known: none, relu, avg_relu, softmax")
                }
            }
            return .shortcut(s)
        case "upsample":
            var u = UpsampleConfig()
            u.stride = try r.int("stride", default: 2)
            u.scale = try r.float("scale", default: 1)
            guard u.stride != 0 else { throw r.sectionError("stride must not be 0") }
            return .upsample(u)
        case "yolo": return .yolo(try YoloConfig.parse(&r))
        case "region": return .region(try RegionConfig.parse(&r))
        case "softmax", "soft": return .softmax(try SoftmaxConfig.parse(&r))
        case "dropout": return .dropout(try DropoutConfig.parse(&r))
        case "reorg": return .reorg(try ReorgConfig.parse(&r))
        case "reorg3d": return .reorg3d(try ReorgConfig.parse(&r))
        case "sam":
            guard let option = r.option("from") else { throw r.sectionError("sam needs from=") }
            var s = SamConfig()
            s.from = try singleReference(&r, option, index: index)
            s.activation = try Activation.parse(&r, default: .linear)
            return .sam(s)
        case "scale_channels":
            guard let option = r.option("from") else { throw r.sectionError("scale_channels needs from=") }
            var s = ScaleChannelsConfig()
            s.from = try singleReference(&r, option, index: index)
            s.scaleWH = try r.bool("scale_wh")
            s.activation = try Activation.parse(&r, default: .linear)
            return .scaleChannels(s)
        case "batchnorm": return .batchnorm
        case "activation": return .activation(try Activation.parse(&r, default: .linear))
        case "empty", "silence": return .empty
        case "cost": return .cost(try CostConfig.parse(&r))
        case "net", "network":
            throw r.sectionError("[\(r.section.name)] may appear only once, as the first section")
        case let name where unsupportedSections.contains(name):
            throw r.sectionError("layer type [\(name)] is not supported by swiftnet")
        case let name:
            throw r.sectionError("unknown section [\(name)]")
        }
    }

    /// Resolves `layers=`/`from=` values: negative = relative to this layer, non-negative = absolute.
    static func references(_ r: inout OptionReader, _ option: CfgOption, index: Int) throws -> [Int] {
        var result: [Int] = []
        for v in try r.referenceList(option) {
            let target = v < 0 ? index + v : v
            guard target >= 0 else {
                throw r.error(option, "\(v) refers to layer \(target), before the first layer (this is layer \(index))")
            }
            guard target < index else {
                throw r.error(option, "\(v) refers to layer \(target), which does not come before this layer (\(index))")
            }
            result.append(target)
        }
        guard !result.isEmpty else { throw r.error(option, "no layers given") }
        return result
    }

    static func singleReference(_ r: inout OptionReader, _ option: CfgOption, index: Int) throws -> Int {
        let refs = try references(&r, option, index: index)
        guard refs.count == 1 else { throw r.error(option, "expected one layer, got \(refs.count)") }
        return refs[0]
    }

    /// The line of option `key` in layer `index`, for messages about values found invalid later (shapes).
    public func errorLocation(layer index: Int) -> Int? {
        layers.indices.contains(index) ? layers[index].line : nil
    }
}
