import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import Layers
#endif

/// One HTTP GET whose body is handed over piece by piece as it arrives, instead of being
/// collected in memory: the pieces go straight to the blob store, the digest and the
/// decompressor. Each download has its own session and serial delegate queue, so a slow
/// consumer holds back only its own download.
final class BlobDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome {
        let status: Int
        let headers: [AnyHashable: Any]
        /// Bytes handed to the consumer.
        let delivered: Int64
        /// The body of an error response (not handed over).
        let errorBody: Data
        let transportError: (any Error)?
        let consumerError: (any Error)?
    }

    private let consume: (UnsafeRawBufferPointer) throws -> Void
    /// Bytes of a 200 answer to skip (the registry ignored our Range header).
    private var skip: Int64
    private var status = 0
    private var headers: [AnyHashable: Any] = [:]
    private var delivered: Int64 = 0
    private var errorBody = Data()
    private var consumerError: (any Error)?
    private var continuation: CheckedContinuation<Outcome, Never>?
    private var responder: BasicChallengeResponder?

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        responder!.urlSession(session, task: task, didReceive: challenge, completionHandler: completionHandler)
    }

    private init(skip: Int64, consume: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.skip = skip
        self.consume = consume
    }

    /// Runs `request`; a 200 or 206 body goes to `consume`. With `resumeFrom`, a 200 answer's
    /// first bytes (already consumed) are skipped.
    static func run(_ request: URLRequest, resumeFrom offset: Int64, responder: BasicChallengeResponder,
                    consume: @escaping (UnsafeRawBufferPointer) throws -> Void) async -> Outcome {
        let download = BlobDownload(skip: offset, consume: consume)
        download.responder = responder
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration, delegate: download, delegateQueue: queue)
        let outcome = await withCheckedContinuation { continuation in
            download.continuation = continuation
            session.dataTask(with: request).resume()
        }
        session.finishTasksAndInvalidate()
        return outcome
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        status = http?.statusCode ?? 0
        headers = http?.allHeaderFields ?? [:]
        if status != 200 { skip = 0 }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard consumerError == nil else { return }
        guard status == 200 || status == 206 else {
            if errorBody.count < 4096 { errorBody.append(data) }
            return
        }
        data.withUnsafeBytes { raw in
            var piece = raw
            if skip > 0 {
                let dropped = Int(min(Int64(piece.count), skip))
                skip -= Int64(dropped)
                piece = UnsafeRawBufferPointer(rebasing: piece[dropped...])
            }
            guard piece.count > 0 else { return }
            do {
                try consume(piece)
                delivered += Int64(piece.count)
            } catch {
                consumerError = error
                dataTask.cancel()
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let outcome = Outcome(status: status, headers: headers, delivered: delivered, errorBody: errorBody,
                              transportError: consumerError == nil ? error : nil, consumerError: consumerError)
        continuation?.resume(returning: outcome)
        continuation = nil
    }
}
