// POST {kind?: 'member' | 'merchant' | 'cashier', store_id?} with the member's token →
// {kind, scene, page, mime, image_base64, wxacode, cached}: the invite / merchant invite / cashier code.
import { handleInviteQrcode } from '../_shared/invite-qrcode.ts';

Deno.serve(handleInviteQrcode);
