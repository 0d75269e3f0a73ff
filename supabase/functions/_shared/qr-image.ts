// A standard QR code PNG (the `qrcode` npm package), for when WeChat is not configured.
import QRCode from 'qrcode';

interface QRCodeModule {
  toBuffer(text: string, options: Record<string, unknown>): Promise<Uint8Array>;
}

export async function qrPng(text: string, width = 430): Promise<Uint8Array> {
  const png = await (QRCode as unknown as QRCodeModule).toBuffer(text, {
    type: 'png',
    errorCorrectionLevel: 'M',
    width,
    margin: 2,
  });
  return new Uint8Array(png);
}
