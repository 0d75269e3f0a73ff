// POST {order_id} (or {order_no}) with the member's token → the wx.requestPayment parameters
// {timeStamp, nonceStr, package, signType: 'RSA', paySign} for a WeChat Pay JSAPI prepay.
// 503 payment_unavailable while WeChat Pay is not configured.
import { handlePayOrder } from '../_shared/pay.ts';

Deno.serve(handlePayOrder);
