import ArgumentParser
import ReferralClient
import ZeroMQ

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub.",
        discussion: """
            Both files hold one 40-character Z85 key and a newline. The
            secret key file is created with mode 0600 (a missing folder with
            0700); the broker and nodes refuse a secret key file that group
            or others may read or write. Never commit a secret key, and never
            copy it anywhere but the machine that uses it.

            Prints the public key on standard output. It goes into the
            broker's directory (for a node) or into each node's
            "server_public_key" (for the broker). A node's configuration then
            names both:
              "public_key": "<the printed key>",
              "secret_key_file": "PREFIX.key",
              "server_public_key": "<the broker's public key>"

            An existing PREFIX.key or PREFIX.pub is never overwritten unless
            --force is given; the old key stops working wherever it is
            registered as soon as the new one replaces it there.

            Examples:
              referralctl keygen --out keys/test-a
              referralctl keygen --out /etc/referrald/broker --force

            Exit codes: 0 written, 1 usage error, a file exists (without
            --force) or cannot be written.
            """
    )

    @Option(help: ArgumentHelp("Path and name of the two files, without .key/.pub.", valueName: "PREFIX"))
    var out: String

    @Flag(help: "Replace an existing PREFIX.key and PREFIX.pub.")
    var force = false

    func validate() throws {
        guard !out.isEmpty, !out.hasSuffix("/") else {
            throw ValidationError("--out must be a path prefix such as keys/test-a (the files get .key and .pub).")
        }
    }

    func run() throws {
        do {
            let written = try KeyFiles.write(prefix: out, force: force)
            Output.line(written.publicKey)
            Output.error("wrote \(written.secretPath) (secret key, mode 0600) and \(written.publicPath) (public key)")
        } catch let error as KeyFileError {
            var text = "referralctl: \(error)"
            if !force, error.problem.hasPrefix("already exists") { text += "; use --force to replace the key pair" }
            Output.error(text)
            throw Exit.usage
        } catch {
            Output.error("referralctl: cannot generate a key pair: \(error)")
            throw Exit.usage
        }
    }
}
