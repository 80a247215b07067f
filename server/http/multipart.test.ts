import { describe, expect, it } from 'vitest';
import { multipartBoundary, MultipartError, parseMultipart } from './multipart.js';

const body = (parts: string[], boundary = 'XyZ') =>
  Buffer.from(
    `preamble\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\nepilogue`,
  );

describe('multipart/form-data', () => {
  it('reads the boundary from the Content-Type, quoted or not, and ignores other types', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b;c"')).toBe('a b;c');
    expect(multipartBoundary('text/xml')).toBeNull();
    expect(multipartBoundary(undefined)).toBeNull();
    expect(() => multipartBoundary('multipart/form-data')).toThrow(MultipartError);
  });

  it('splits parts with their names, file names, types and exact bytes', () => {
    const parts = parseMultipart(
      body([
        'Content-Disposition: form-data; name="xml_submission_file"; filename="form.xml"\r\nContent-Type: text/xml\r\n\r\n<data/>',
        'Content-Disposition: form-data; name="photo"; filename="a;b \\"c\\".jpg"\r\nContent-Type: image/jpeg\r\n\r\n\u00ff\r\n\u0000',
        'Content-Disposition: form-data; name="note"\r\n\r\n',
      ]),
      'XyZ',
    );
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['xml_submission_file', 'form.xml', 'text/xml'],
      ['photo', 'a;b "c".jpg', 'image/jpeg'],
      ['note', null, 'text/plain'],
    ]);
    expect(parts[0]!.data.toString()).toBe('<data/>');
    expect(parts[1]!.data).toEqual(Buffer.from('\u00ff\r\n\u0000'));
    expect(parts[2]!.data.length).toBe(0);
  });

  it('refuses a body that ends before its closing boundary or has a part without a name', () => {
    expect(() =>
      parseMultipart(
        Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished'),
        'XyZ',
      ),
    ).toThrow(/closing boundary/);
    expect(() => parseMultipart(body(['Content-Disposition: form-data\r\n\r\nx']), 'XyZ')).toThrow(/no name/);
    expect(() => parseMultipart(Buffer.from('no boundary here'), 'XyZ')).toThrow(/does not contain/);
  });
});
