import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import Layers
#endif

/// Answers HTTP Basic challenges for URLSession. FoundationNetworking handles a `401` with
/// `WWW-Authenticate: Basic` itself and asks the session's delegate for a credential
/// (without one it never completes the request), so the registry client answers with the
/// stored credentials, or cancels, which `perform` reports as "authentication required".
final class BasicChallengeResponder: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lookup: @Sendable (String) -> (username: String, password: String)?

    /// `lookup` gets `host:port` and returns the credentials to send, if any.
    init(lookup: @escaping @Sendable (String) -> (username: String, password: String)?) {
        self.lookup = lookup
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        let space = challenge.protectionSpace
        let host = space.port > 0 ? "\(space.host):\(space.port)" : space.host
        guard space.authenticationMethod == NSURLAuthenticationMethodHTTPBasic, challenge.previousFailureCount == 0,
              let (user, password) = lookup(host) else {
            completionHandler(.cancelAuthenticationChallenge, nil)
            return
        }
        completionHandler(.useCredential, URLCredential(user: user, password: password, persistence: .forSession))
    }
}
