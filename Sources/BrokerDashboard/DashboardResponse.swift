/// One answer of the dashboard, for whatever HTTP server carries it.
public struct DashboardResponse: Sendable, Hashable {
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) { (self.name, self.value) = (name, value) }
    }

    public var status: Int
    public var contentType: String
    public var body: String
    /// Extra headers: the content security policy of every page, `Location` on a redirect.
    public var headers: [Header]

    public init(status: Int, contentType: String, body: String, headers: [Header] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// No script, no font, no image from anywhere; inline styles only: a page loads nothing but itself.
    static let securityPolicy = Header(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; "
            + "frame-ancestors 'none'")

    static func page(_ status: Int, _ html: String) -> DashboardResponse {
        DashboardResponse(
            status: status, contentType: "text/html; charset=utf-8", body: html,
            headers: [
                securityPolicy, Header("Cache-Control", "no-store"), Header("X-Content-Type-Options", "nosniff"),
                Header("Referrer-Policy", "no-referrer"),
            ])
    }

    static func redirect(to location: String) -> DashboardResponse {
        DashboardResponse(
            status: 303, contentType: "text/plain; charset=utf-8", body: "see \(location)\n",
            headers: [Header("Location", location)])
    }
}
