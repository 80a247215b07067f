/**
 * Posts XForms to a receiver the way a device does: multipart/form-data with the form in
 * `xml_submission_file`, over keep-alive connections, with HTTP Basic credentials.
 */
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface SubmitResult {
  status: number;
  body: string;
  latencyMs: number;
}

export interface Credentials {
  username: string;
  password: string;
}

export class SubmissionClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    maxSockets = 32,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** Posts one form (and optional attachments) to `/a/<domain>/receiver`; never throws for an HTTP status. */
  submit(
    domain: string,
    xml: string | Buffer,
    credentials: Credentials,
    attachments: { name: string; contentType: string; data: Buffer }[] = [],
  ): Promise<SubmitResult> {
    const boundary = `tributary-${randomBytes(12).toString('hex')}`;
    const part = (name: string, filename: string, contentType: string, data: Buffer) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
        ),
        data,
        Buffer.from('\r\n'),
      ]);
    const body = Buffer.concat([
      part('xml_submission_file', 'form.xml', 'text/xml', Buffer.isBuffer(xml) ? xml : Buffer.from(xml)),
      ...attachments.map((a) => part(a.name, a.name, a.contentType, a.data)),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const url = new URL(`/a/${encodeURIComponent(domain)}/receiver`, this.baseUrl);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': body.length,
            authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
            'x-openrosa-version': '1.0',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              latencyMs: performance.now() - started,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
