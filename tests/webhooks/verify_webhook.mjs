// The seed's verifier (ai-visual-studio-api-v1.txt, "Verifying Webhook Signatures"), copied as written,
// run the way its Express handler runs it: the body parsed by JSON.parse (express.json()) first.
// stdin: {"body": "<raw body text>", "signature": "<X-Webhook-Signature>", "secret": "..."}; prints true/false.
import crypto from 'crypto';
import fs from 'fs';

function verifyWebhookSignature(payload, signature, secret) {
  const [timestamp, hash] = signature.split(',').map(part => {
    const [key, value] = part.split('=');
    return value;
  });

  // Verify timestamp is recent (within 5 minutes)
  const now = Math.floor(Date.now() / 1000);
  if (Math.abs(now - parseInt(timestamp)) > 300) {
    return false; // Replay attack protection
  }

  const expectedHash = crypto
    .createHmac('sha256', secret)
    .update(`${timestamp}.${JSON.stringify(payload)}`)
    .digest('hex');

  return crypto.timingSafeEqual(
    Buffer.from(hash),
    Buffer.from(expectedHash)
  );
}

const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = cases.map(({ body, signature, secret }) => {
  const reqBody = JSON.parse(body);  // what express.json() hands the handler as req.body
  try {
    return verifyWebhookSignature(reqBody, signature, secret);
  } catch (err) {
    return false;  // timingSafeEqual throws on a length mismatch
  }
});
process.stdout.write(JSON.stringify(results));
