/** The OpenRosa response documents the receiver answers with (OpenRosa Form Submission API). */

export const openRosaVersion = '1.0';

/** The body of an OpenRosa response carrying one message; `nature` is what devices key on. */
export function openRosaResponse(
  message: string,
  nature: 'submit_success' | 'submit_error' | 'processing_failure',
): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<OpenRosaResponse xmlns="http://openrosa.org/http/response">' +
    `<message nature="${nature}">${escapeXml(message)}</message>` +
    '</OpenRosaResponse>\n'
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
