/// The Porter stemming algorithm as Martin Porter's reference C implementation writes it (the version
/// whose output is the published vocabulary list, and which Lucene's PorterStemmer follows), including
/// its two departures from the paper ("bli" → "ble", "logi" → "log"). Works on UTF-16 code units like
/// Lucene does: anything but a, e, i, o, u (and y after a consonant) counts as a consonant.
public struct PorterStemmer: Sendable {
    public init() {}

    public func stem(_ word: String) -> String {
        var w = Array(word.utf16)
        stem(&w)
        return String(decoding: w, as: UTF16.self)
    }

    /// Stems `b` in place. Words of one or two characters are left alone.
    public func stem(_ b: inout [UInt16]) {
        guard b.count > 2 else { return }
        var s = State(b: b, k: b.count - 1, j: 0)
        s.step1ab()
        if s.k > 0 {
            s.step1c()
            s.step2()
            s.step3()
            s.step4()
            s.step5()
        }
        s.b.removeSubrange((s.k + 1)...)
        b = s.b
    }

    private struct State {
        var b: [UInt16]
        var k: Int
        var j: Int

        static let a = UInt16(UInt8(ascii: "a")), e = UInt16(UInt8(ascii: "e")), i = UInt16(UInt8(ascii: "i")), o = UInt16(UInt8(ascii: "o"))
        static let u = UInt16(UInt8(ascii: "u")), y = UInt16(UInt8(ascii: "y")), s = UInt16(UInt8(ascii: "s")), l = UInt16(UInt8(ascii: "l"))
        static let z = UInt16(UInt8(ascii: "z")), w = UInt16(UInt8(ascii: "w")), x = UInt16(UInt8(ascii: "x"))

        func cons(_ i: Int) -> Bool {
            switch b[i] {
            case State.a, State.e, State.i, State.o, State.u: return false
            case State.y: return i == 0 ? true : !cons(i - 1)
            default: return true
            }
        }

        /// The number of consonant–vowel sequences in b[0...j].
        func m() -> Int {
            var n = 0
            var i = 0
            while true {
                if i > j { return n }
                if !cons(i) { break }
                i += 1
            }
            i += 1
            while true {
                while true {
                    if i > j { return n }
                    if cons(i) { break }
                    i += 1
                }
                i += 1
                n += 1
                while true {
                    if i > j { return n }
                    if !cons(i) { break }
                    i += 1
                }
                i += 1
            }
        }

        func vowelInStem() -> Bool {
            var i = 0
            while i <= j {
                if !cons(i) { return true }
                i += 1
            }
            return false
        }

        func doubleC(_ j: Int) -> Bool {
            if j < 1 { return false }
            if b[j] != b[j - 1] { return false }
            return cons(j)
        }

        func cvc(_ i: Int) -> Bool {
            if i < 2 || !cons(i) || cons(i - 1) || !cons(i - 2) { return false }
            let ch = b[i]
            return !(ch == State.w || ch == State.x || ch == State.y)
        }

        mutating func ends(_ suffix: StaticString) -> Bool {
            let len = suffix.utf8CodeUnitCount
            if len > k + 1 { return false }
            return suffix.withUTF8Buffer { sfx in
                if UInt16(sfx[len - 1]) != b[k] { return false }
                let base = k - len + 1
                for t in 0..<len where UInt16(sfx[t]) != b[base + t] { return false }
                j = k - len
                return true
            }
        }

        mutating func setTo(_ suffix: StaticString) {
            let len = suffix.utf8CodeUnitCount
            suffix.withUTF8Buffer { sfx in
                let needed = j + 1 + len
                if b.count < needed { b.append(contentsOf: repeatElement(0, count: needed - b.count)) }
                for t in 0..<len { b[j + 1 + t] = UInt16(sfx[t]) }
            }
            k = j + len
        }

        mutating func r(_ suffix: StaticString) { if m() > 0 { setTo(suffix) } }

        mutating func step1ab() {
            if b[k] == State.s {
                if ends("sses") { k -= 2 } else if ends("ies") { setTo("i") } else if b[k - 1] != State.s { k -= 1 }
            }
            if ends("eed") {
                if m() > 0 { k -= 1 }
            } else if (ends("ed") || ends("ing")) && vowelInStem() {
                k = j
                if ends("at") {
                    setTo("ate")
                } else if ends("bl") {
                    setTo("ble")
                } else if ends("iz") {
                    setTo("ize")
                } else if doubleC(k) {
                    k -= 1
                    let ch = b[k]
                    if ch == State.l || ch == State.s || ch == State.z { k += 1 }
                } else if m() == 1 && cvc(k) {
                    setTo("e")
                }
            }
        }

        mutating func step1c() {
            if ends("y") && vowelInStem() { b[k] = State.i }
        }

        mutating func step2() {
            if k == 0 { return }
            switch b[k - 1] {
            case UInt16(UInt8(ascii: "a")):
                if ends("ational") {
                    r("ate")
                    break
                }
                if ends("tional") {
                    r("tion")
                    break
                }
            case UInt16(UInt8(ascii: "c")):
                if ends("enci") {
                    r("ence")
                    break
                }
                if ends("anci") {
                    r("ance")
                    break
                }
            case UInt16(UInt8(ascii: "e")):
                if ends("izer") {
                    r("ize")
                    break
                }
            case UInt16(UInt8(ascii: "l")):
                if ends("bli") {
                    r("ble")
                    break
                }
                if ends("alli") {
                    r("al")
                    break
                }
                if ends("entli") {
                    r("ent")
                    break
                }
                if ends("eli") {
                    r("e")
                    break
                }
                if ends("ousli") {
                    r("ous")
                    break
                }
            case UInt16(UInt8(ascii: "o")):
                if ends("ization") {
                    r("ize")
                    break
                }
                if ends("ation") {
                    r("ate")
                    break
                }
                if ends("ator") {
                    r("ate")
                    break
                }
            case UInt16(UInt8(ascii: "s")):
                if ends("alism") {
                    r("al")
                    break
                }
                if ends("iveness") {
                    r("ive")
                    break
                }
                if ends("fulness") {
                    r("ful")
                    break
                }
                if ends("ousness") {
                    r("ous")
                    break
                }
            case UInt16(UInt8(ascii: "t")):
                if ends("aliti") {
                    r("al")
                    break
                }
                if ends("iviti") {
                    r("ive")
                    break
                }
                if ends("biliti") {
                    r("ble")
                    break
                }
            case UInt16(UInt8(ascii: "g")):
                if ends("logi") {
                    r("log")
                    break
                }
            default: break
            }
        }

        mutating func step3() {
            switch b[k] {
            case UInt16(UInt8(ascii: "e")):
                if ends("icate") {
                    r("ic")
                    break
                }
                if ends("ative") {
                    r("")
                    break
                }
                if ends("alize") {
                    r("al")
                    break
                }
            case UInt16(UInt8(ascii: "i")):
                if ends("iciti") {
                    r("ic")
                    break
                }
            case UInt16(UInt8(ascii: "l")):
                if ends("ical") {
                    r("ic")
                    break
                }
                if ends("ful") {
                    r("")
                    break
                }
            case UInt16(UInt8(ascii: "s")):
                if ends("ness") {
                    r("")
                    break
                }
            default: break
            }
        }

        mutating func step4() {
            if k == 0 { return }
            var matched = false
            switch b[k - 1] {
            case UInt16(UInt8(ascii: "a")): matched = ends("al")
            case UInt16(UInt8(ascii: "c")): matched = ends("ance") || ends("ence")
            case UInt16(UInt8(ascii: "e")): matched = ends("er")
            case UInt16(UInt8(ascii: "i")): matched = ends("ic")
            case UInt16(UInt8(ascii: "l")): matched = ends("able") || ends("ible")
            case UInt16(UInt8(ascii: "n")): matched = ends("ant") || ends("ement") || ends("ment") || ends("ent")
            case UInt16(UInt8(ascii: "o")):
                if ends("ion") && j >= 0 && (b[j] == State.s || b[j] == UInt16(UInt8(ascii: "t"))) { matched = true } else { matched = ends("ou") }
            case UInt16(UInt8(ascii: "s")): matched = ends("ism")
            case UInt16(UInt8(ascii: "t")): matched = ends("ate") || ends("iti")
            case UInt16(UInt8(ascii: "u")): matched = ends("ous")
            case UInt16(UInt8(ascii: "v")): matched = ends("ive")
            case UInt16(UInt8(ascii: "z")): matched = ends("ize")
            default: matched = false
            }
            if matched && m() > 1 { k = j }
        }

        mutating func step5() {
            j = k
            if b[k] == State.e {
                let a = m()
                if a > 1 || (a == 1 && !cvc(k - 1)) { k -= 1 }
            }
            if b[k] == State.l && doubleC(k) && m() > 1 { k -= 1 }
        }
    }
}
