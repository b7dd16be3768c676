import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A short client of the node gateway (GATEWAY-1, docs/GATEWAY.md) with the JDK's java.net.http.HttpClient (Java 17).
 *
 * <p>It sends a referral from one hosted node to another idempotently, long-polls the receiving node's inbox,
 * stores each message (here: prints its id) and completes it, then reads the sent message's status. Made-up data
 * only.
 *
 * <pre>java GatewayClient.java http://127.0.0.1:9480 TOKEN test-a test-b</pre>
 *
 * <p>TOKEN is an application's token (referral-gateway new-token) with the send, receive and read scopes for both
 * nodes ("-" when the gateway has no applications file). The JDK has no JSON parser: a real system uses its own
 * (Jackson, Gson) where this file uses the small {@link Json} reader at its end.
 */
public final class GatewayClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    GatewayClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    private HttpRequest.Builder request(String path, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        if (!token.equals("-")) builder.header("Authorization", "Bearer " + token);
        return builder;
    }

    /**
     * POSTs a message. On a network error or a 5xx it retries with the SAME id and content: the id makes the POST
     * idempotent, so a retry never makes a second message (other content under the same id is a 409).
     */
    Map<String, Object> send(String node, String json) throws IOException, InterruptedException {
        HttpRequest post = request("/v1/nodes/" + node + "/messages?wait=10", Duration.ofSeconds(40))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        for (int attempt = 0; attempt < 5; attempt++) {
            HttpResponse<String> answer;
            try {
                answer = http.send(post, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                Thread.sleep(1000L << attempt);
                continue;
            }
            int status = answer.statusCode();
            // 201: the broker ACCEPTED it (with its seq); 202: committed to the gateway's outbox, it keeps being sent.
            if (status == 201 || status == 202) return Json.object(answer.body());
            if (status >= 500) {
                Thread.sleep(1000L << attempt);
                continue;
            }
            // RFC 9457 problem details: type, detail, and code / field where they apply.
            Map<String, Object> problem = Json.object(answer.body());
            throw new IOException(status + " " + problem.get("type") + " " + problem.getOrDefault("code", "") + " "
                    + problem.getOrDefault("field", "") + ": " + problem.get("detail"));
        }
        throw new IOException("the gateway did not answer");
    }

    /**
     * One long poll of the inbox: each message is stored first, then completed (it leaves the inbox only then). A
     * message not completed is handed out again after its lease: storing must be idempotent on the handle.
     */
    List<Map<String, Object>> receive(String node, int waitSeconds) throws IOException, InterruptedException {
        String inbox = "/v1/nodes/" + node + "/inbox";
        HttpRequest poll = request(inbox + "?wait=" + waitSeconds + "&max=10", Duration.ofSeconds(waitSeconds + 15))
                .GET()
                .build();
        HttpResponse<String> answer = http.send(poll, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) throw new IOException("inbox: " + answer.statusCode() + " " + answer.body());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = (List<Map<String, Object>>) Json.object(answer.body()).get("messages");
        for (Map<String, Object> message : messages) {
            System.out.println("stored " + message.get("id") + " from " + message.get("from"));
            HttpRequest complete = request(inbox + "/" + message.get("handle") + "/complete", Duration.ofSeconds(15))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build();
            int status = http.send(complete, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 204) throw new IOException("complete: " + status);
        }
        return messages;
    }

    public static void main(String[] args) throws Exception {
        GatewayClient client = new GatewayClient(args[0], args[1]);
        String sender = args[2];
        String receiver = args[3];
        // The id comes from the sending system's own record (made up here), and is kept for every retry.
        String id = sender + ":example-" + UUID.randomUUID().toString().substring(0, 12);
        String referral = """
                {"id": "%s", "kind": "referral.request", "to": ["%s"], "case": "%s", "priority": "urgent",
                 "body": {"child_ref": "PX-0001", "age_band": "12-13", "risk": "orange",
                  "reasons": ["screening-positive", "low-mood"], "needed_by": "2026-03-13",
                  "lawful_basis": {"type": "consent", "given_by": "guardian",
                   "consent_ref": "CONSENT-PX-0001-01", "consent_date": "2026-03-02"},
                  "referrer_contact": {"unit": "School psychology office (placeholder)",
                   "phone": "0591-00000000", "hours": "Mon-Fri 08:00-17:00"},
                  "requested_service": "assessment", "residence_division": "350102100201",
                  "summary": "Made-up example: pupil reference PX-0001 scored high on the term screening."}}
                """.formatted(id, receiver, UUID.randomUUID());
        System.out.println("sent " + id + ": " + client.send(sender, referral).get("status"));

        Set<Object> received = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!received.contains(id) && System.nanoTime() < deadline) {
            for (Map<String, Object> message : client.receive(receiver, 25)) received.add(message.get("id"));
        }
        if (!received.contains(id)) throw new IOException(id + " did not reach " + receiver + "'s inbox");

        HttpRequest status = client.request("/v1/nodes/" + sender + "/messages/" + id, Duration.ofSeconds(15)).build();
        String answer = client.http.send(status, HttpResponse.BodyHandlers.ofString()).body();
        System.out.println("status " + id + ": " + Json.object(answer).get("status"));
    }

    /** A minimal JSON reader (objects, arrays, strings, numbers, booleans, null): use your JSON library instead. */
    static final class Json {
        private final String text;
        private int at;

        private Json(String text) {
            this.text = text;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> object(String text) {
            Json json = new Json(text);
            Object value = json.value();
            json.space();
            if (json.at != text.length() || !(value instanceof Map)) {
                throw new IllegalArgumentException("not a JSON object");
            }
            return (Map<String, Object>) value;
        }

        private void space() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
        }

        private char next() {
            space();
            if (at >= text.length()) throw new IllegalArgumentException("unexpected end of JSON");
            return text.charAt(at);
        }

        private void expect(char c) {
            if (next() != c) throw new IllegalArgumentException("expected " + c + " at " + at);
            at++;
        }

        private Object value() {
            char c = next();
            if (c == '{') {
                Map<String, Object> map = new LinkedHashMap<>();
                at++;
                if (next() == '}') {
                    at++;
                    return map;
                }
                do {
                    String key = string();
                    expect(':');
                    map.put(key, value());
                } while (next() == ',' && at++ >= 0);
                expect('}');
                return map;
            }
            if (c == '[') {
                List<Object> list = new ArrayList<>();
                at++;
                if (next() == ']') {
                    at++;
                    return list;
                }
                do list.add(value()); while (next() == ',' && at++ >= 0);
                expect(']');
                return list;
            }
            if (c == '"') return string();
            for (String word : new String[] {"true", "false", "null"}) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) at++;
            if (start == at) throw new IllegalArgumentException("unexpected " + c + " at " + at);
            return Double.valueOf(text.substring(start, at));
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') return out.toString();
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(e); // \" \\ \/
                }
            }
        }
    }
}
