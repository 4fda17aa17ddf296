/** Drives FreeRADIUS's radclient (freeradius-utils), a real third-party RADIUS client. */
import { spawn } from 'node:child_process';

export interface RadclientResult {
  /** radclient's exit status: 0 accept/ack, 1 reject or no reply. */
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Reply code name seen ("Access-Accept", ...) or null when no reply arrived. */
  readonly reply: string | null;
  /** Reply attributes as printed by -x: name (tag stripped) → value without quotes. */
  readonly attributes: Record<string, string>;
}

export function radclient(
  port: number,
  secret: string,
  attributes: string,
  opts: { type?: 'auth' | 'acct' | 'status'; timeoutS?: number; retries?: number } = {},
): Promise<RadclientResult> {
  const args = ['-x', '-t', String(opts.timeoutS ?? 1), '-r', String(opts.retries ?? 1), `127.0.0.1:${port}`, opts.type ?? 'auth', secret];
  return new Promise((resolve, reject) => {
    const child = spawn('radclient', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const replyMatch = stdout.match(/Received (\S+) Id/);
      const attrs: Record<string, string> = {};
      if (replyMatch) {
        const after = stdout.slice(stdout.indexOf(replyMatch[0]));
        for (const line of after.split('\n').slice(1)) {
          const m = line.match(/^\s+([A-Za-z0-9-]+)(?::\d+)?\s*=\s*(.*)$/);
          if (m) attrs[m[1]!] = m[2]!.replace(/^"|"$/g, '');
          else if (line.trim() !== '' && !line.startsWith('\t') && !line.startsWith(' ')) break;
        }
      }
      resolve({ exit: code ?? -1, stdout, stderr, reply: replyMatch ? replyMatch[1]! : null, attributes: attrs });
    });
    child.stdin.end(attributes);
  });
}

/** A MAB request as an access point sends it, with Message-Authenticator (radclient computes it). */
export function mabRequest(userName: string, opts: { calling?: string; called?: string; password?: string | null; messageAuthenticator?: boolean } = {}): string {
  const parts = [`User-Name = "${userName}"`];
  if (opts.password !== null) parts.push(`User-Password = "${opts.password ?? userName}"`);
  parts.push('Service-Type = Call-Check', 'NAS-IP-Address = 127.0.0.1', 'NAS-Port-Type = Wireless-802.11');
  if (opts.calling) parts.push(`Calling-Station-Id = "${opts.calling}"`);
  if (opts.called) parts.push(`Called-Station-Id = "${opts.called}"`);
  if (opts.messageAuthenticator !== false) parts.push('Message-Authenticator = 0x00');
  return parts.join(', ') + '\n';
}
