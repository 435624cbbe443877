/// Activation functions by their darknet cfg names (spec §1.9). Matching is exact and case-sensitive.
public enum Activation: String, CaseIterable, Sendable {
    case linear, logistic, loggy, relu, relu6, elu, selu, gelu, relie, ramp, leaky, revleaky, tanh, plse, stair
    case hardtan, lhtan, swish, mish
    case hardMish = "hard_mish"
    case normalizeChannels = "normalize_channels"
    case normalizeChannelsSoftmax = "normalize_channels_softmax"
    case normalizeChannelsSoftmaxMaxval = "normalize_channels_softmax_maxval"

    /// Parses a cfg value. darknet silently falls back to ReLU for unknown names; swiftnet refuses them.
    public static func parse(_ reader: inout OptionReader, key: String = "activation", default value: Activation) throws -> Activation {
        guard let option = reader.option(key) else { return value }
        if let activation = Activation(rawValue: option.value) { return activation }
        var hint = ""
        if let cut = option.value.firstIndex(where: { $0 == "#" || $0 == ";" }) {
            hint = " (a comment after a name is part of the value for darknet, which would silently use relu for '\(option.value)'; write '\(option.value[..<cut])')"
        }
        throw reader.error(option, "unknown activation '\(option.value)'\(hint); known: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// Whether the activation mixes channels (computed per pixel across channels, not element-wise).
    public var isChannelwise: Bool {
        switch self {
        case .normalizeChannels, .normalizeChannelsSoftmax, .normalizeChannelsSoftmaxMaxval: return true
        default: return false
        }
    }
}
