import SwiftnetFormat
import XCTest

final class CfgLexingTests: XCTestCase {
    func parse(_ text: String) throws -> NetworkConfig { try NetworkConfig(text: text, path: "t.cfg") }

    let net = "[net]\nwidth=32\nheight=32\nchannels=3\n"

    func testWhitespaceAnywhereIsRemovedAndCommentsSkipped() throws {
        let doc = try CfgDocument(text: "# comment\n[ net ]\n; other comment\n  wid th = 4 16 \r\n", path: "t.cfg")
        XCTAssertEqual(doc.sections.count, 1)
        XCTAssertEqual(doc.sections[0].name, "net")
        XCTAssertEqual(doc.sections[0].options, [CfgOption(key: "width", value: "416", line: 4)])
    }

    func testValueKeepsEverythingAfterTheFirstEquals() throws {
        let doc = try CfgDocument(text: "[net]\nkey=a=b#c\n", path: "t.cfg")
        XCTAssertEqual(doc.sections[0].options[0].value, "a=b#c")
    }

    func testFirstKeyWinsAndDuplicateIsReportedUnused() throws {
        let c = try parse(net + "[convolutional]\nfilters=8\nfilters=16\nactivation=leaky\n")
        guard case .convolutional(let conv) = c.layers[0].config else { return XCTFail() }
        XCTAssertEqual(conv.filters, 8)
        XCTAssertEqual(c.diagnostics, [Diagnostic(path: "t.cfg", line: 7, message: "unused key 'filters' in [convolutional] (it appears earlier in this section; darknet uses the first)")])
    }

    func testConvolutionDefaultsFollowDarknet() throws {
        let c = try parse(net + "[conv]\nsize=3\npad=1\npadding=7\n")
        guard case .convolutional(let conv) = c.layers[0].config else { return XCTFail() }
        XCTAssertEqual(conv.activation, .logistic, "a conv without activation= is logistic")
        XCTAssertEqual(conv.filters, 1)
        XCTAssertEqual(conv.padding, 1, "pad=1 means size/2 and overrides padding")
        XCTAssertEqual(c.layers[0].sectionName, "conv")
    }

    func testMaxpoolDefaults() throws {
        let c = try parse(net + "[max]\nstride=2\n")
        guard case .maxpool(let p) = c.layers[0].config else { return XCTFail() }
        XCTAssertEqual(p.size, 2, "size defaults to stride")
        XCTAssertEqual(p.padding, 1, "padding defaults to size-1")
    }

    func testLayerReferencesRelativeAndAbsolute() throws {
        let c = try parse(net + "[conv]\nactivation=linear\n[conv]\nactivation=linear\n[route]\nlayers=-1, 0\n[shortcut]\nfrom=-3\n")
        guard case .route(let r) = c.layers[2].config, case .shortcut(let s) = c.layers[3].config else { return XCTFail() }
        XCTAssertEqual(r.layers, [1, 0])
        XCTAssertEqual(s.from, [0])
    }

    func testListParsingStopsAtHashAndIgnoresTrailingComma() throws {
        let c = try parse(net + "[yolo]\nmask=0,1#,2\nanchors=1,2, 3,4, 5,6,\nnum=3\nclasses=2\n")
        guard case .yolo(let y) = c.layers[0].config else { return XCTFail() }
        XCTAssertEqual(y.mask, [0, 1])
        XCTAssertEqual(y.anchors, [1, 2, 3, 4, 5, 6])
    }

    func testNumbersWithAGluedCommentAreReadLikeAtoi() throws {
        let c = try parse(net + "[conv]\nfilters=64#x\nactivation=mish\n")
        guard case .convolutional(let conv) = c.layers[0].config else { return XCTFail() }
        XCTAssertEqual(conv.filters, 64)
        XCTAssertEqual(conv.activation, .mish)
    }

    /// Upstream cfgs (cspx-p7-mish.cfg) carry comments after layer lists; darknet's atoi stops at the '#'.
    func testCommentsAfterListsAndNumbersReadAsDarknetReadsThem() throws {
        let c = try parse(net + """
            [conv]
            filters=16\t#32
            activation=linear
            [conv]
            filters=32.0
            activation=linear
            [route]
            layers = -1, 0 ###P6
            [shortcut]
            from=-3 # skip
            [route]
            layers = 1 ; the second conv
            [yolo]
            mask = 0,1 # two of three
            anchors = 1,2, 3,4, 5,6 ###
            num=3
            classes=2
            jitter=.3 # jitter
            """)
        guard case .convolutional(let a) = c.layers[0].config, case .convolutional(let b) = c.layers[1].config,
              case .route(let r) = c.layers[2].config, case .shortcut(let s) = c.layers[3].config,
              case .route(let r2) = c.layers[4].config, case .yolo(let y) = c.layers[5].config else { return XCTFail() }
        XCTAssertEqual(a.filters, 16)
        XCTAssertEqual(b.filters, 32)
        XCTAssertEqual(r.layers, [1, 0])
        XCTAssertEqual(s.from, [0])
        XCTAssertEqual(r2.layers, [1])
        XCTAssertEqual(y.mask, [0, 1])
        XCTAssertEqual(y.anchors, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(y.jitter, 0.3)
        XCTAssertEqual(c.diagnostics, [])
    }

    /// A misspelt key is named with the key the section knows, as a warning or inside the error it causes.
    func testTyposGetADidYouMean() throws {
        let c = try parse(net + "[conv]\nactivaton=leaky\nbatch_normalise=1\nfilters=4\nstrange_key=1\n")
        XCTAssertEqual(c.diagnostics.map(\.message), [
            "unused key 'activaton' in [conv] (did you mean 'activation'?)",
            "unused key 'batch_normalise' in [conv] (did you mean 'batch_normalize'?)",
            "unused key 'strange_key' in [conv]",
        ])
        XCTAssertThrowsError(try parse("[net]\nwidht=32\nheight=32\nchannels=3\n[conv]\n")) { error in
            XCTAssertTrue("\(error)".contains("(line 2: 'widht' — did you mean 'width'?)"), "\(error)")
        }
    }

    /// `[region] background` is not read by AlexeyAB's darknet: reported as unused, not silently accepted.
    func testRegionBackgroundIsUnused() throws {
        let c = try parse(net + "[conv]\nfilters=25\nactivation=linear\n[region]\nclasses=0\nnum=1\nclasses=1\nbackground=1\n".replacingOccurrences(of: "classes=0\n", with: ""))
        XCTAssertEqual(c.diagnostics.map(\.message), ["unused key 'background' in [region]"])
    }

    /// Keys that change darknet's results but that swiftnet does not implement: warned about at a non-zero value.
    func testUnimplementedKeysAreWarnedAboutWhenSet() throws {
        let c = try parse("[net]\nwidth=32\nheight=32\nchannels=3\ndynamic_minibatch=1\ncontrastive=0\ntry_fix_nan=1\n"
                          + "[conv]\nfilters=18\nactivation=linear\ngrad_centr=1\n[yolo]\nclasses=1\nnum=3\nmap=data/coco9k.map\n")
        XCTAssertEqual(c.diagnostics.map(\.description), [
            "t.cfg:5: 'dynamic_minibatch=1' in [net] is not implemented by swiftnet and is ignored (darknet: rescales the mini-batch with multi-scale training)",
            "t.cfg:11: 'grad_centr=1' in [conv] is not implemented by swiftnet and is ignored (darknet: gradient centralisation of the weight updates on GPU)",
            "t.cfg:15: 'map=data/coco9k.map' in [yolo] is not implemented by swiftnet and is ignored (darknet: remaps the truths' class ids through a file in the loss)",
        ])
    }

    func testNetDefaults() throws {
        let c = try parse("[network]\nwidth=64\nheight=32\nchannels=3\nbatch=64\nsubdivisions=6\nsaturation=0\n[conv]\nactivation=linear\n")
        XCTAssertEqual(c.net.miniBatch, 10)
        XCTAssertEqual(c.net.saturation, 1, "saturation=0 is treated as 1")
        XCTAssertEqual(c.net.power, 4)
        XCTAssertEqual(c.net.maxCrop, 128)
        XCTAssertEqual(c.net.policy, .constant)
    }
}

final class CfgErrorTests: XCTestCase {
    let net = "[net]\nwidth=32\nheight=32\nchannels=3\n"

    func assertError(_ text: String, line: Int?, contains fragment: String, file: StaticString = #filePath, lineNo: UInt = #line) {
        XCTAssertThrowsError(try NetworkConfig(text: text, path: "bad.cfg"), file: file, line: lineNo) { error in
            guard case let SwiftnetError.cfg(path, l, message) = error else { return XCTFail("\(error)", file: file, line: lineNo) }
            XCTAssertEqual(path, "bad.cfg", file: file, line: lineNo)
            XCTAssertEqual(l, line, file: file, line: lineNo)
            XCTAssertTrue(message.contains(fragment), "\(message)", file: file, line: lineNo)
            XCTAssertTrue(error.localizedDescription.isEmpty || true)
            if let line { XCTAssertTrue("\(error)".hasPrefix("bad.cfg:\(line): "), "\(error)", file: file, line: lineNo) }
        }
    }

    func testUnknownSection() { assertError(net + "[convolutinal]\nfilters=3\n", line: 5, contains: "unknown section [convolutinal]") }
    func testUnsupportedSection() { assertError(net + "[lstm]\n", line: 5, contains: "not supported") }
    func testFirstSectionMustBeNet() { assertError("[conv]\nfilters=1\n", line: 1, contains: "first section must be [net]") }
    func testEmptyFile() { assertError("# nothing\n", line: nil, contains: "no sections") }
    func testNoLayers() { assertError(net, line: 1, contains: "no layers") }
    func testOptionBeforeSection() { assertError("width=3\n" + net, line: 1, contains: "before the first [section]") }
    func testLineWithoutEquals() { assertError(net + "[conv]\nfilters 16\n", line: 6, contains: "expected key=value") }
    func testEmptyValue() { assertError(net + "[conv]\nfilters=\n", line: 6, contains: "has no value") }
    func testBadInteger() { assertError(net + "[conv]\nfilters=many\n", line: 6, contains: "expected an integer") }
    func testUnknownActivationExplainsTheTrailingComment() {
        assertError(net + "[conv]\nactivation=leaky # relu\n", line: 6, contains: "write 'leaky'")
    }
    func testFractionalIntegerSaysWhatDarknetWouldRead() {
        assertError(net + "[conv]\nfilters=32.5\n", line: 6, contains: "darknet would silently read 32")
    }
    func testTrailingCommaInLayersIsAReferenceToLayerZeroForDarknet() {
        assertError(net + "[conv]\nactivation=linear\n[route]\nlayers=-1,\n", line: 8, contains: "ends with a comma")
    }
    func testCommaInsideTheCommentAfterLayersIsCountedByDarknet() {
        assertError(net + "[conv]\nactivation=linear\n[route]\nlayers=-1 # a, b\n", line: 8, contains: "contains a comma")
    }
    func testReferenceBeforeFirstLayer() { assertError(net + "[conv]\nactivation=linear\n[route]\nlayers=-5\n", line: 8, contains: "before the first layer") }
    func testReferenceToLaterLayer() { assertError(net + "[conv]\nactivation=linear\n[route]\nlayers=1\n", line: 8, contains: "does not come before") }
    func testMaskOutsideAnchors() { assertError(net + "[yolo]\nnum=2\nmask=0,2\n", line: 5, contains: "mask index 2") }
    func testTooFewAnchors() { assertError(net + "[yolo]\nnum=3\nanchors=1,2,3,4\n", line: 7, contains: "need 6") }
    func testZeroWidth() { assertError("[net]\nwidth=0\nheight=3\nchannels=3\n[conv]\n", line: 1, contains: "must be positive") }
    func testUnsupportedConvolutionOption() { assertError(net + "[conv]\nxnor=1\n", line: 6, contains: "not supported") }
}

final class DataFileTests: XCTestCase {
    func testNamesKeepSpacesAndDropCR() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/x.names"
        try "face \r\nShirt\r\n\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try NamesFile.read(path), ["face ", "Shirt"])
    }

    func testDataFileFirstEntryWinsAndKeepsTheRawValue() throws {
        let dir = try temporaryDirectory()
        try "classes = 2\nnames = my obj.names\nnames=other\n# c\n".write(toFile: dir + "/obj.data", atomically: true, encoding: .utf8)
        let data = try DataFile(contentsOf: dir + "/obj.data")
        XCTAssertEqual(try data.int("classes"), 2)
        XCTAssertEqual(data.string("names"), "myobj.names")
        XCTAssertEqual(data.rawValues["names"], "my obj.names")
    }

    func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftnet-format-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}
