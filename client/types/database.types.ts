export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            [_ in never]: never
          }
          Views: {
            [_ in never]: never
          }
          Functions: {
            "admin_enable_all_products":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"admin_get_settings":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"admin_set_product_rebate":
{ Args: { "p_enabled": boolean,"p_product_id": number }; Returns: boolean
                           },
"admin_update_settings":
{ Args: { "p_patch": Json }; Returns: Json
                           },
"cancel_my_order":
{ Args: { "p_order_id": number }; Returns: Json
                           },
"cancel_order":
{ Args: { "p_order_no": string }; Returns: Json
                           },
"complete_order":
{ Args: { "p_order_no": string }; Returns: Json
                           },
"create_order":
{ Args: { "p_order": Json }; Returns: Json
                           },
"entry_sources":
{ Args: { "p_before_id"?: number,"p_entry_id": number,"p_limit"?: number }; Returns: {
              "amount_fen": number,"created_at": string,"distribution_id": number,"payer_nickname": string,"source_item": string,"source_order_no": string
            }[]
                           },
"list_products":
{ Args: { "p_store_id"?: number }; Returns: {
              "id": number,"kind": string,"name": string,"price_fen": number,"rebate_enabled": boolean,"store_id": number
            }[]
                           },
"list_stores":
{ Args: Record<PropertyKey, never>; Returns: {
              "cashier_code": string,"cashier_id": number,"code": string,"id": number,"name": string
            }[]
                           },
"mark_messages_read":
{ Args: { "p_ids"?: (number)[] }; Returns: number
                           },
"mark_order_paid":
{ Args: { "p_order_no": string,"p_paid_fen": number,"p_payment_ref": string }; Returns: Json
                           },
"me":
{ Args: Record<PropertyKey, never>; Returns: {
              "avatar_url": string,"created_at": string,"id": string,"is_admin": boolean,"level_id": number,"level_name": string,"member_code": string,"nickname": string
            }[]
                           },
"member_id_by_code":
{ Args: { "p_member_code": string }; Returns: string
                           },
"my_entries":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: {
              "closed_fen": number,"created_at": string,"ended_at": string,"entitlement_fen": number,"entry_id": number,"item_name": string,"order_completed": boolean,"order_id": number,"order_no": string,"progress_bps": number,"queue_id": number,"queue_name": string,"received_fen": number,"remaining_fen": number,"reward_bps": number,"rule_code": string,"rule_label": string,"seq": number,"status": string,"status_label": string
            }[]
                           },
"my_ledger":
{ Args: { "p_asset"?: string,"p_before_id"?: number,"p_limit"?: number }; Returns: {
              "asset": string,"balance_after": number,"balance_before": number,"created_at": string,"delta": number,"entry_id": number,"id": number,"order_id": number,"reason": string,"reason_label": string
            }[]
                           },
"my_messages":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_unread_only"?: boolean }; Returns: {
              "amount_fen": number,"body": string,"created_at": string,"entry_id": number,"id": number,"kind": string,"order_id": number,"read_at": string,"title": string
            }[]
                           },
"my_order":
{ Args: { "p_order_id": number }; Returns: Json
                           },
"my_orders":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: {
              "channel": string,"completed_at": string,"created_at": string,"entitlement_fen": number,"first_item": string,"goods_fen": number,"item_count": number,"love_deduct_fen": number,"order_id": number,"order_no": string,"paid_at": string,"pay_fen": number,"points_deduct_fen": number,"refunded_fen": number,"status": string,"status_label": string,"store_name": string
            }[]
                           },
"my_wallet":
{ Args: Record<PropertyKey, never>; Returns: {
              "cash_fen": number,"commission_fen": number,"love_fen": number,"love_frozen_fen": number,"points": number
            }[]
                           },
"prepare_payment":
{ Args: { "p_member_id": string,"p_order_no": string,"p_ttl_seconds"?: number }; Returns: Json
                           },
"queue_process":
{ Args: { "p_around"?: number,"p_entry_id": number }; Returns: Json
                           },
"rebate_display_settings":
{ Args: Record<PropertyKey, never>; Returns: {
              "display_name": string,"enabled": boolean,"exchange_name": string,"show_member_info": boolean,"show_process": boolean,"show_received": boolean,"show_waiting": boolean,"show_waiting_amount": boolean
            }[]
                           },
"reconcile":
{ Args: Record<PropertyKey, never>; Returns: {
              "actual": number,"check_name": string,"expected": number,"subject": string
            }[]
                           },
"refund_order":
{ Args: { "p_line_nos"?: (number)[],"p_order_no": string,"p_refund_ref": string }; Returns: Json
                           },
"upsert_member_by_openid":
{ Args: { "p_openid": string,"p_unionid"?: string }; Returns: string
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            
          }
        }
} as const
