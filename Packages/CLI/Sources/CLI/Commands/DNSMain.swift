import Glibc
import Network
import Syscalls

/// `dosirak dns ...`: a user network's DNS responder (chapter 05), run as this binary.
enum DNSMain {
    static func main(_ arguments: [String]) -> Never {
        do {
            try DNSResponder.run(try DNSResponder.Configuration(arguments: arguments))
        } catch {
            FileDescriptor.standardError.say("dosirak dns: \(error)")
            exit(1)
        }
        exit(0)
    }
}
