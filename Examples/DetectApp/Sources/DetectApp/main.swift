import Foundation
import Swiftnet

// Usage: DetectApp CFG WEIGHTS NAMES IMAGE...
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 4 else {
    print("usage: DetectApp CFG WEIGHTS NAMES IMAGE...")
    exit(64)
}
let (cfg, weights, names) = (arguments[arguments.startIndex], arguments[arguments.startIndex + 1], arguments[arguments.startIndex + 2])
do {
    let detector = try Detector(cfg: cfg, weights: weights, names: names)
    for image in arguments.dropFirst(3) {
        let result = try await detector.detect(imageAt: image)
        print("\(image): \(result.objects.count) objects")
        for object in result.objects { print(object.name, object.confidence, object.box) }
    }
} catch {
    print("error: \(error.localizedDescription)")
    exit(1)
}
