import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A webhook receiver of a test (Python's standard library, threaded): answers each POST as its `mode` file says
/// at that moment (`ok`: 204; `fail`: waits half a second, then 500, so that a POST is often in flight, except
/// status events: 204, so that a receipt is the event being retried in the receipt stream) and logs
/// one JSON line per request (path, event, delivery id, the status it answers, the body) as it arrives.
struct WebhookReceiver {
    let process: Process
    let url: String
    let logPath: String
    let modePath: String
    let secretPath: String

    static let secret = "made-up-webhook-secret-crash-0123456789"

    static let script = #"""
        import http.server, json, sys, threading, time
        lock = threading.Lock()
        log = open(sys.argv[1], "a")
        mode_path = sys.argv[2]
        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                mode = open(mode_path).read().strip()
                status = 500 if mode == "fail" and self.headers.get("Referral-Webhook-Event") != "status" else 204
                # Logged on arrival (a POST of a gateway killed while it waits is still in order).
                with lock:
                    log.write(json.dumps({"path": self.path, "event": self.headers.get("Referral-Webhook-Event"),
                                          "delivery": self.headers.get("Referral-Webhook-Delivery"), "status": status,
                                          "body": json.loads(body)}) + "\n")
                    log.flush()
                if status == 500:
                    time.sleep(0.5)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        with open(sys.argv[3], "w") as f:
            f.write(str(server.server_address[1]))
        server.serve_forever()
        """#

    static func start(_ h: Harness, mode: String) async throws -> WebhookReceiver {
        let script = "\(h.directory)/crash-receiver.py"
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: script))
        let secretPath = "\(h.directory)/crash-webhook.secret"
        try Data("\(Self.secret)\n".utf8).write(to: URL(fileURLWithPath: secretPath))
        chmod(secretPath, 0o600)
        let logPath = "\(h.directory)/crash-receiver.log"
        let modePath = "\(h.directory)/crash-receiver.mode"
        let portPath = "\(h.directory)/crash-receiver.port"
        try Data(mode.utf8).write(to: URL(fileURLWithPath: modePath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, logPath, modePath, portPath]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        h.adopt(process)
        var port = ""
        try await h.eventually("the webhook receiver listens", timeout: .seconds(20)) {
            port = String(decoding: FileManager.default.contents(atPath: portPath) ?? Data(), as: UTF8.self)
            return !port.isEmpty
        }
        return WebhookReceiver(
            process: process, url: "http://127.0.0.1:\(port)", logPath: logPath, modePath: modePath,
            secretPath: secretPath)
    }

    func setMode(_ mode: String) throws {
        try Data(mode.utf8).write(to: URL(fileURLWithPath: modePath))
    }

    /// A node's `webhook` block pointing at `/path` of this receiver, with fast retries.
    func webhook(_ path: String) -> [String: Any] {
        [
            "url": "\(url)/\(path)", "secret_file": secretPath, "backoff_initial_ms": 100, "backoff_max_ms": 400,
            "timeout_ms": 5_000,
        ]
    }

    /// The requests logged so far, in arrival order.
    var requests: [[String: Any]] {
        let text = String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}

extension GatewayProcess {
    /// `kill -9`, and waits until it is gone.
    func kill9() async throws {
        kill(process.processIdentifier, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw HarnessError("the gateway did not die on SIGKILL") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
