import Glibc

/// A NULL-terminated array of C strings (an `argv` or `envp`), owned until deinit.
///
/// Built before a fork, so the child only reads memory the parent already allocated.
final class CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
