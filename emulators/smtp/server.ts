import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { smtpReply, type SmtpFaults } from './faults';
import type { MailStore } from './state';

const MAX_SIZE = 10 << 20;

/**
 * The SMTP side: accepts any login and mail without one, parses each message with mailparser
 * into the store, and answers with the configured faults.
 */
export function createSmtpServer(store: MailStore, faults: SmtpFaults): SMTPServer {
  return new SMTPServer({
    name: 'smtp-emulator.gatehouse.local',
    banner: 'Gatehouse SMTP emulator',
    logger: false,
    disableReverseLookup: true,
    size: MAX_SIZE,
    // Without TLS, login is only possible in cleartext; fine for a local emulator.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    // AUTH stays advertised so an SMTP_URL with credentials works: every login is accepted
    // (without onAuth the server answers 535 "Authentication not implemented").
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username || 'anonymous' });
    },
    // Pending connections get this long after close() (the default is 30 s).
    closeTimeout: 500,
    onConnect(_session, callback) {
      callback(faults.outageReply('connect'));
    },
    onMailFrom(_address, _session, callback) {
      callback(faults.outageReply('transaction'));
    },
    onRcptTo(address, _session, callback) {
      callback(faults.recipientReply(address.address));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          if (stream.sizeExceeded) return callback(smtpReply(552, '5.3.4 Message exceeds the fixed maximum message size'));
          const mail = store.add(parsed, session.envelope);
          const reply = () => callback(null, `2.0.0 Ok: queued as ${mail.id}`);
          if (faults.delayMs > 0) setTimeout(reply, faults.delayMs);
          else reply();
        },
        (err: unknown) => callback(smtpReply(451, `4.3.0 Could not parse the message: ${err instanceof Error ? err.message : String(err)}`)),
      );
    },
  });
}

export interface RunningSmtpServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 = a free port) and resolves once the socket is bound. */
export function listenSmtp(server: SMTPServer, port: number, host = '127.0.0.1'): Promise<RunningSmtpServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // A client that drops mid-session must not crash the emulator process.
      server.on('error', () => undefined);
      resolve({
        port: (server.server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
