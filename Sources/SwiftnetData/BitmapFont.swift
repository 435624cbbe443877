// BitmapFont.swift
//
// A small, hand-designed 5×7 pixel bitmap font covering printable ASCII
// (32 ' ' through 126 '~'). Intended for drawing short labels such as
// "dog: 98%" directly into pixel buffers, e.g. over detection boxes.

/// A hand-designed 5×7 pixel bitmap font for printable ASCII (32–126).
///
/// Each glyph is ``glyphWidth`` × ``glyphHeight`` pixels and is meant to be
/// drawn in a 6×8 cell: callers add one pixel of spacing to the right of and
/// below every glyph. Glyph rows are stored top to bottom as `UInt8` values
/// whose low 5 bits are the pixels, with bit 4 being the leftmost column.
///
/// Lowercase letters use rows 2–6 as their x-height; `g`, `j`, `p`, `q` and
/// `y` fold their descenders into the bottom rows, since the cell has no
/// room below row 6. `0` is slashed to tell it apart from `O`, and `1`, `l`
/// and `I` have distinct serifs.
public enum BitmapFont {
    /// Width of every glyph in pixels (excluding the 1-pixel spacing column).
    public static let glyphWidth = 5

    /// Height of every glyph in pixels (excluding the 1-pixel spacing row).
    public static let glyphHeight = 7

    /// Horizontal advance per character at scale 1: the glyph plus 1 pixel of spacing.
    private static let advance = glyphWidth + 1

    /// Glyph shown for characters outside printable ASCII: a filled 5×7 box.
    private static let placeholder: [UInt8] = Array(repeating: 0b11111, count: 7)

    /// Returns the 7 pixel rows of `character`, top row first.
    ///
    /// In each row the low 5 bits are pixels, bit 4 (`0b10000`) being the
    /// leftmost column. Characters outside printable ASCII (32–126), including
    /// control characters and non-ASCII characters, return a filled box.
    public static func rows(for character: Character) -> [UInt8] {
        guard let ascii = character.asciiValue, ascii >= 32, ascii <= 126 else {
            return placeholder
        }
        return table[Int(ascii) - 32]
    }

    /// Returns whether the pixel at column `x`, row `y` of `character`'s glyph is set.
    ///
    /// `(0, 0)` is the top-left pixel. Coordinates outside `0..<5` × `0..<7`
    /// (including the spacing column/row) return `false`.
    public static func isSet(_ character: Character, x: Int, y: Int) -> Bool {
        guard x >= 0, x < glyphWidth, y >= 0, y < glyphHeight else { return false }
        let row = rows(for: character)[y]
        return (row >> UInt8(glyphWidth - 1 - x)) & 1 == 1
    }

    /// Returns the width in pixels needed to draw `text` at the given scale.
    ///
    /// Each character advances `6 × scale` pixels (glyph plus spacing), but the
    /// spacing after the last character is not counted, so the result is
    /// `(6 × count − 1) × scale`, or 0 for an empty string. Characters are
    /// counted as Swift `Character`s (extended grapheme clusters), matching how
    /// each one is drawn as a single glyph. A `scale` below 1 is treated as 1.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int {
        let count = text.count
        guard count > 0 else { return 0 }
        return (advance * count - 1) * max(scale, 1)
    }

    /// Glyph rows for ASCII 32...126, indexed by `code - 32`.
    /// Each entry is 7 rows, top to bottom; bit 4 is the leftmost pixel.
    private static let table: [[UInt8]] = [
        [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000], //  32 space
        [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00000, 0b00100], //  33 !
        [0b01010, 0b01010, 0b01010, 0b00000, 0b00000, 0b00000, 0b00000], //  34 "
        [0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010], //  35 #
        [0b00100, 0b01111, 0b10100, 0b01110, 0b00101, 0b11110, 0b00100], //  36 $
        [0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011], //  37 %
        [0b01100, 0b10010, 0b10100, 0b01000, 0b10101, 0b10010, 0b01101], //  38 &
        [0b00100, 0b00100, 0b01000, 0b00000, 0b00000, 0b00000, 0b00000], //  39 apostrophe
        [0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010], //  40 (
        [0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000], //  41 )
        [0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000], //  42 *
        [0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000], //  43 +
        [0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000], //  44 ,
        [0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000], //  45 -
        [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100], //  46 .
        [0b00001, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b10000], //  47 /
        [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110], //  48 0
        [0b00100, 0b01100, 0b10100, 0b00100, 0b00100, 0b00100, 0b11111], //  49 1
        [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111], //  50 2
        [0b01110, 0b10001, 0b00001, 0b00110, 0b00001, 0b10001, 0b01110], //  51 3
        [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010], //  52 4
        [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110], //  53 5
        [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110], //  54 6
        [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000], //  55 7
        [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110], //  56 8
        [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100], //  57 9
        [0b00000, 0b01100, 0b01100, 0b00000, 0b00000, 0b01100, 0b01100], //  58 :
        [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b00100, 0b01000], //  59 ;
        [0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010], //  60 <
        [0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000], //  61 =
        [0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000], //  62 >
        [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100], //  63 ?
        [0b01110, 0b10001, 0b10111, 0b10101, 0b10111, 0b10000, 0b01111], //  64 @
        [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001], //  65 A
        [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110], //  66 B
        [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110], //  67 C
        [0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100], //  68 D
        [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111], //  69 E
        [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000], //  70 F
        [0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111], //  71 G
        [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001], //  72 H
        [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], //  73 I
        [0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100], //  74 J
        [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001], //  75 K
        [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111], //  76 L
        [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001], //  77 M
        [0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001], //  78 N
        [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110], //  79 O
        [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000], //  80 P
        [0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101], //  81 Q
        [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001], //  82 R
        [0b01110, 0b10001, 0b10000, 0b01110, 0b00001, 0b10001, 0b01110], //  83 S
        [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100], //  84 T
        [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110], //  85 U
        [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100], //  86 V
        [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010], //  87 W
        [0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001], //  88 X
        [0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100], //  89 Y
        [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111], //  90 Z
        [0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110], //  91 [
        [0b10000, 0b10000, 0b01000, 0b00100, 0b00010, 0b00001, 0b00001], //  92 backslash
        [0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110], //  93 ]
        [0b00100, 0b01010, 0b10001, 0b00000, 0b00000, 0b00000, 0b00000], //  94 ^
        [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111], //  95 _
        [0b01000, 0b00100, 0b00010, 0b00000, 0b00000, 0b00000, 0b00000], //  96 grave accent
        [0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111], //  97 a
        [0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110], //  98 b
        [0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110], //  99 c
        [0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111], // 100 d
        [0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110], // 101 e
        [0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000], // 102 f
        [0b00000, 0b00000, 0b01111, 0b10001, 0b01111, 0b00001, 0b01110], // 103 g
        [0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001], // 104 h
        [0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110], // 105 i
        [0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100], // 106 j
        [0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010], // 107 k
        [0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00011], // 108 l
        [0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001], // 109 m
        [0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001], // 110 n
        [0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110], // 111 o
        [0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000], // 112 p
        [0b00000, 0b00000, 0b01111, 0b10001, 0b01111, 0b00001, 0b00001], // 113 q
        [0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000], // 114 r
        [0b00000, 0b00000, 0b01111, 0b10000, 0b01110, 0b00001, 0b11110], // 115 s
        [0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110], // 116 t
        [0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101], // 117 u
        [0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100], // 118 v
        [0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010], // 119 w
        [0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001], // 120 x
        [0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110], // 121 y
        [0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111], // 122 z
        [0b00011, 0b00100, 0b00100, 0b01000, 0b00100, 0b00100, 0b00011], // 123 {
        [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100], // 124 |
        [0b11000, 0b00100, 0b00100, 0b00010, 0b00100, 0b00100, 0b11000], // 125 }
        [0b00000, 0b00000, 0b01000, 0b10101, 0b00010, 0b00000, 0b00000], // 126 ~
    ]
}
