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
            "accept_payment":
{ Args: { "p_order_no": string,"p_paid_fen": number,"p_payment_ref": string }; Returns: Json
                           },
"admin_approve_merchant_application":
{ Args: { "p_application_id": number }; Returns: Json
                           },
"admin_approve_withdrawal":
{ Args: { "p_payout_ref": string,"p_withdrawal_id": number }; Returns: Json
                           },
"admin_approve_withdrawal_transfer":
{ Args: { "p_real_name"?: string,"p_withdrawal_id": number }; Returns: Json
                           },
"admin_create_merchant_invite_code":
{ Args: { "p_label": string }; Returns: Json
                           },
"admin_delete_member_level":
{ Args: { "p_id": number }; Returns: boolean
                           },
"admin_dividend_overview":
{ Args: { "p_limit"?: number }; Returns: Json
                           },
"admin_enable_all_products":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"admin_get_rule_settings":
{ Args: { "p_target": string,"p_target_id": number }; Returns: Json
                           },
"admin_get_settings":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"admin_grant_role":
{ Args: { "p_member_code": string,"p_reason"?: string,"p_role": string,"p_store_id"?: number }; Returns: Json
                           },
"admin_list_member_levels":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"admin_list_merchant_applications":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: {
              "address": string,"applicant_member_code": string,"applicant_nickname": string,"application_id": number,"contact_name": string,"contact_phone": string,"created_at": string,"decided_at": string,"invite_code": string,"licence_no": string,"recruiter_member_code": string,"recruiter_nickname": string,"reject_reason": string,"status": string,"store_id": number,"store_name": string
            }[]
                           },
"admin_list_merchant_invite_codes":
{ Args: Record<PropertyKey, never>; Returns: {
              "active": boolean,"application_count": number,"code": string,"created_at": string,"label": string,"page": string,"scene": string
            }[]
                           },
"admin_list_message_pushes":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: {
              "attempts": number,"created_at": string,"id": number,"kind": string,"last_errcode": number,"last_error": string,"member_code": string,"next_attempt_at": string,"nickname_masked": string,"status": string,"template_id": string,"title": string,"updated_at": string
            }[]
                           },
"admin_list_roles":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"admin_list_statement_differences":
{ Args: { "p_before_id"?: number,"p_bill_date"?: string,"p_limit"?: number,"p_status"?: string }; Returns: Json
                           },
"admin_list_statements":
{ Args: { "p_before_date"?: string,"p_limit"?: number }; Returns: Json
                           },
"admin_list_stores":
{ Args: { "p_status"?: string }; Returns: Json
                           },
"admin_list_withdrawals":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: Json
                           },
"admin_member_referral":
{ Args: { "p_member_code": string }; Returns: Json
                           },
"admin_message_push_stats":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"admin_reject_merchant_application":
{ Args: { "p_application_id": number,"p_reason": string }; Returns: Json
                           },
"admin_reject_withdrawal":
{ Args: { "p_reason": string,"p_withdrawal_id": number }; Returns: Json
                           },
"admin_resolve_statement_difference":
{ Args: { "p_difference_id": number,"p_reason": string }; Returns: Json
                           },
"admin_retry_message_push":
{ Args: { "p_push_id": number }; Returns: Json
                           },
"admin_retry_settlement":
{ Args: { "p_order_no": string }; Returns: Json
                           },
"admin_revoke_role":
{ Args: { "p_reason"?: string,"p_role_id": number }; Returns: Json
                           },
"admin_save_member_level":
{ Args: { "p_id": number,"p_name": string,"p_rank": number }; Returns: Json
                           },
"admin_set_member_level":
{ Args: { "p_level_id": number,"p_member_code": string }; Returns: Json
                           },
"admin_set_member_team_level":
{ Args: { "p_member_code": string,"p_team_level_id": number }; Returns: Json
                           },
"admin_set_merchant_invite_code_active":
{ Args: { "p_active": boolean,"p_code": string }; Returns: Json
                           },
"admin_set_product_rebate":
{ Args: { "p_enabled": boolean,"p_product_id": number }; Returns: boolean
                           },
"admin_set_subscribe_template":
{ Args: { "p_fields"?: Json,"p_key": string,"p_template_id": string }; Returns: Json
                           },
"admin_update_cashier":
{ Args: { "p_cashier_id": number,"p_patch": Json }; Returns: Json
                           },
"admin_update_rule_settings":
{ Args: { "p_patch": Json,"p_target": string,"p_target_id": number }; Returns: Json
                           },
"admin_update_settings":
{ Args: { "p_patch": Json,"p_reason"?: string }; Returns: Json
                           },
"admin_update_store":
{ Args: { "p_patch": Json,"p_store_id": number }; Returns: Json
                           },
"admin_upsert_team_level":
{ Args: { "p_level": Json }; Returns: Json
                           },
"bind_referrer":
{ Args: { "p_invite_code": string,"p_source"?: string }; Returns: Database["public"]['CompositeTypes']["referrer_binding"]
                          SetofOptions: {
        from: "*"
        to: "referrer_binding"
        isOneToOne: true
        isSetofReturn: false
      } },
"cancel_my_order":
{ Args: { "p_order_id": number }; Returns: Database["public"]['CompositeTypes']["order_details"]
                          SetofOptions: {
        from: "*"
        to: "order_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"cancel_order":
{ Args: { "p_order_no": string }; Returns: Database["public"]['CompositeTypes']["order_details"]
                          SetofOptions: {
        from: "*"
        to: "order_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"cancel_refund_request":
{ Args: { "p_request_id": number }; Returns: Database["public"]['CompositeTypes']["refund_request_details"]
                          SetofOptions: {
        from: "*"
        to: "refund_request_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"clear_queues":
{ Args: { "p_at"?: string }; Returns: Json
                           },
"complete_order":
{ Args: { "p_order_no": string }; Returns: Json
                           },
"console_adjust_balance":
{ Args: { "p_asset": string,"p_delta": number,"p_member_id": string,"p_reason": string }; Returns: Json
                           },
"console_approve_refund_request":
{ Args: { "p_request_id": number }; Returns: Json
                           },
"console_dashboard":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"console_entry_sources":
{ Args: { "p_entry_id": number }; Returns: Json
                           },
"console_export_page":
{ Args: { "p_after_id"?: number,"p_from": string,"p_kind": string,"p_limit"?: number,"p_to": string }; Returns: Json
                           },
"console_force_exit_entry":
{ Args: { "p_entry_id": number,"p_reason": string }; Returns: Json
                           },
"console_list_audit":
{ Args: { "p_before_id"?: number,"p_from"?: string,"p_limit"?: number,"p_member_code"?: string,"p_object_id"?: string,"p_object_type"?: string,"p_to"?: string }; Returns: Json
                           },
"console_list_entries":
{ Args: { "p_after_seq"?: number,"p_limit"?: number,"p_queue_id": number,"p_status"?: string }; Returns: Json
                           },
"console_list_members":
{ Args: { "p_after_code"?: string,"p_limit"?: number,"p_q"?: string }; Returns: Json
                           },
"console_list_orders":
{ Args: { "p_before_id"?: number,"p_channel"?: string,"p_from"?: string,"p_limit"?: number,"p_order_no"?: string,"p_status"?: string,"p_store_id"?: number,"p_to"?: string }; Returns: Json
                           },
"console_list_products":
{ Args: { "p_after_id"?: number,"p_limit"?: number,"p_q"?: string }; Returns: Json
                           },
"console_list_queues":
{ Args: { "p_after_id"?: number,"p_limit"?: number }; Returns: Json
                           },
"console_list_refund_requests":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: Json
                           },
"console_list_refunds":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_order_no"?: string,"p_status"?: string }; Returns: Json
                           },
"console_me":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"console_member_detail":
{ Args: { "p_member_id": string }; Returns: Json
                           },
"console_order_detail":
{ Args: { "p_order_no": string }; Returns: Json
                           },
"console_refund_preview":
{ Args: { "p_line_nos"?: (number)[],"p_order_no": string }; Returns: Json
                           },
"console_reject_refund_request":
{ Args: { "p_reason": string,"p_request_id": number }; Returns: Database["public"]['CompositeTypes']["refund_request_details"]
                          SetofOptions: {
        from: "*"
        to: "refund_request_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"console_retry_refund":
{ Args: { "p_out_refund_no": string }; Returns: Json
                           },
"console_save_product":
{ Args: { "p_fields": Json,"p_product_id": number }; Returns: Json
                           },
"console_start_refund":
{ Args: { "p_line_nos": (number)[],"p_order_no": string,"p_reason": string }; Returns: Json
                           },
"console_ticket_confirm":
{ Args: { "p_ticket": string }; Returns: Json
                           },
"console_ticket_create":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"console_ticket_info":
{ Args: { "p_ticket": string }; Returns: Json
                           },
"console_ticket_redeem":
{ Args: { "p_secret": string,"p_ticket": string }; Returns: Json
                           },
"console_union_payout_log":
{ Args: { "p_day": string }; Returns: Json
                           },
"console_union_pool":
{ Args: { "p_days"?: number }; Returns: Json
                           },
"console_union_queue":
{ Args: { "p_after_id"?: number,"p_limit"?: number }; Returns: Json
                           },
"create_order":
{ Args: { "p_order": Json }; Returns: Database["public"]['CompositeTypes']["order_details"]
                          SetofOptions: {
        from: "*"
        to: "order_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"draw_lottery":
{ Args: { "p_entry_id": number }; Returns: Database["public"]['CompositeTypes']["lottery_draw_result"]
                          SetofOptions: {
        from: "*"
        to: "lottery_draw_result"
        isOneToOne: true
        isSetofReturn: false
      } },
"due_transfers":
{ Args: { "p_confirm_hours"?: number,"p_limit"?: number }; Returns: Json
                           },
"entry_sources":
{ Args: { "p_before_id"?: number,"p_entry_id": number,"p_limit"?: number }; Returns: {
              "amount_fen": number,"created_at": string,"distribution_id": number,"payer_nickname": string,"source_item": string,"source_order_no": string
            }[]
                           },
"exchange_entry":
{ Args: { "p_entry_id": number,"p_target": string }; Returns: Database["public"]['CompositeTypes']["exchange_result"]
                          SetofOptions: {
        from: "*"
        to: "exchange_result"
        isOneToOne: true
        isSetofReturn: false
      } },
"exchange_union_entry":
{ Args: { "p_entry_id": number,"p_target": string }; Returns: Database["public"]['CompositeTypes']["exchange_result"]
                          SetofOptions: {
        from: "*"
        to: "exchange_result"
        isOneToOne: true
        isSetofReturn: false
      } },
"expired_pending_orders":
{ Args: { "p_limit"?: number,"p_unsent_hours"?: number }; Returns: {
              "order_no": string,"pay_fen": number,"prepaid": boolean,"time_expire": string
            }[]
                           },
"invite_info":
{ Args: { "p_invite_code": string }; Returns: Json
                           },
"list_products":
{ Args: { "p_store_id"?: number }; Returns: {
              "id": number,"image_path": string,"kind": string,"name": string,"price_fen": number,"rebate_enabled": boolean,"store_id": number
            }[]
                           },
"list_stores":
{ Args: Record<PropertyKey, never>; Returns: {
              "cashier_code": string,"cashier_id": number,"code": string,"id": number,"name": string
            }[]
                           },
"list_team_levels":
{ Args: Record<PropertyKey, never>; Returns: {
              "can_recruit_merchants": boolean,"diff_bps": number,"dividend_weight": number,"id": number,"member_count": number,"name": string,"rank": number
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
              "avatar_url": string,"created_at": string,"id": string,"is_admin": boolean,"level_id": number,"level_name": string,"member_code": string,"nickname": string,"store_count": number
            }[]
                           },
"member_id_by_code":
{ Args: { "p_member_code": string }; Returns: string
                           },
"merchant_invite_info":
{ Args: { "p_invite_code": string }; Returns: Json
                           },
"message_push_claim":
{ Args: { "p_lease_seconds"?: number,"p_limit"?: number }; Returns: {
              "amount_fen": number,"attempt": number,"body": string,"created_at": string,"fields": Json,"kind": string,"kind_label": string,"message_id": number,"openid": string,"order_no": string,"page": string,"push_id": number,"template_id": string,"title": string
            }[]
                           },
"message_push_report":
{ Args: { "p_errcode"?: number,"p_error"?: string,"p_msgid"?: string,"p_outcome": string,"p_push_id": number }; Returns: string
                           },
"my_entries":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: {
              "ahead_amount_fen": number,"ahead_count": number,"can_draw": boolean,"can_exchange": boolean,"closed_fen": number,"converted_amount": number,"converted_asset": string,"created_at": string,"drawn_bps": number,"ended_at": string,"entitlement_fen": number,"entry_id": number,"inflow_30d_fen": number,"inflow_7d_fen": number,"item_name": string,"lottery_config": Json,"order_completed": boolean,"order_id": number,"order_no": string,"position": number,"progress_bps": number,"queue_created_at": string,"queue_id": number,"queue_name": string,"received_fen": number,"remaining_fen": number,"reward_bps": number,"rule_code": string,"rule_label": string,"seq": number,"status": string,"status_label": string
            }[]
                           },
"my_entry_projection_input":
{ Args: { "p_entry_id": number }; Returns: {
              "ahead_count": number,"amounts_shown": boolean,"eligible": boolean,"eligible_ahead_fen": number,"entry_id": number,"position": number,"queue_id": number,"remaining_fen": number,"status": string
            }[]
                           },
"my_invite":
{ Args: Record<PropertyKey, never>; Returns: Database["public"]['CompositeTypes']["invite_details"]
                          SetofOptions: {
        from: "*"
        to: "invite_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"my_ledger":
{ Args: { "p_asset"?: string,"p_before_id"?: number,"p_limit"?: number }; Returns: {
              "asset": string,"balance_after": number,"balance_before": number,"created_at": string,"delta": number,"entry_id": number,"id": number,"order_id": number,"reason": string,"reason_label": string
            }[]
                           },
"my_merchant_applications":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"my_messages":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_unread_only"?: boolean }; Returns: {
              "amount_fen": number,"body": string,"created_at": string,"entry_id": number,"id": number,"kind": string,"order_id": number,"read_at": string,"title": string
            }[]
                           },
"my_order":
{ Args: { "p_order_id": number }; Returns: Database["public"]['CompositeTypes']["order_details"]
                          SetofOptions: {
        from: "*"
        to: "order_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"my_orders":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string }; Returns: {
              "channel": string,"completed_at": string,"created_at": string,"entitlement_fen": number,"first_item": string,"goods_fen": number,"item_count": number,"love_deduct_fen": number,"order_id": number,"order_no": string,"paid_at": string,"pay_fen": number,"points_deduct_fen": number,"refunded_fen": number,"status": string,"status_label": string,"store_name": string
            }[]
                           },
"my_recruited_merchants":
{ Args: { "p_before_id"?: number,"p_limit"?: number }; Returns: {
              "applicant_nickname_masked": string,"application_id": number,"applied_at": string,"decided_at": string,"reward_count": number,"reward_fen": number,"status": string,"status_label": string,"store_id": number,"store_name": string,"store_status": string
            }[]
                           },
"my_refund_requests":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_order_id"?: number }; Returns: Database["public"]['CompositeTypes']["refund_request_details"][]
                          SetofOptions: {
        from: "*"
        to: "refund_request_details"
        isOneToOne: false
        isSetofReturn: true
      } },
"my_rewards":
{ Args: { "p_before_id"?: number,"p_kind"?: string,"p_limit"?: number }; Returns: {
              "amount_fen": number,"base_fen": number,"capped": boolean,"created_at": string,"depth": number,"kind": string,"kind_label": string,"order_no_masked": string,"period_key": string,"rate_bps": number,"reversed_at": string,"reversed_fen": number,"reward_id": number,"rule_label": string,"source_nickname_masked": string,"status": string
            }[]
                           },
"my_store_dashboards":
{ Args: Record<PropertyKey, never>; Returns: Database["public"]['CompositeTypes']["store_dashboard"][]
                          SetofOptions: {
        from: "*"
        to: "store_dashboard"
        isOneToOne: false
        isSetofReturn: true
      } },
"my_stores":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"my_team":
{ Args: { "p_before_id"?: number,"p_depth"?: number,"p_limit"?: number }; Returns: {
              "avatar_url": string,"bound_at": string,"depth": number,"nickname_masked": string,"referral_id": number,"reward_fen": number,"team_level_name": string,"via_nickname_masked": string
            }[]
                           },
"my_team_summary":
{ Args: Record<PropertyKey, never>; Returns: Database["public"]['CompositeTypes']["team_summary"]
                          SetofOptions: {
        from: "*"
        to: "team_summary"
        isOneToOne: true
        isSetofReturn: false
      } },
"my_union_entries":
{ Args: Record<PropertyKey, never>; Returns: {
              "accelerated_fen": number,"accelerations": Json,"ahead_fen": number,"can_exchange": boolean,"created_at": string,"entry_id": number,"est_from": string,"est_to": string,"order_no": string,"queue_position": number,"quota_fen": number,"received_fen": number,"remaining_fen": number,"status": string
            }[]
                           },
"my_wallet":
{ Args: Record<PropertyKey, never>; Returns: {
              "cash_fen": number,"commission_fen": number,"love_fen": number,"love_frozen_fen": number,"points": number
            }[]
                           },
"my_withdrawal_info":
{ Args: Record<PropertyKey, never>; Returns: Database["public"]['CompositeTypes']["withdrawal_info"]
                          SetofOptions: {
        from: "*"
        to: "withdrawal_info"
        isOneToOne: true
        isSetofReturn: false
      } },
"my_withdrawals":
{ Args: { "p_before_id"?: number,"p_limit"?: number }; Returns: Database["public"]['CompositeTypes']["withdrawal_details"][]
                          SetofOptions: {
        from: "*"
        to: "withdrawal_details"
        isOneToOne: false
        isSetofReturn: true
      } },
"prepare_payment":
{ Args: { "p_member_id": string,"p_order_no": string,"p_ttl_seconds"?: number }; Returns: Json
                           },
"preview_exchange":
{ Args: { "p_entry_id": number,"p_target": string }; Returns: Database["public"]['CompositeTypes']["exchange_preview"]
                          SetofOptions: {
        from: "*"
        to: "exchange_preview"
        isOneToOne: true
        isSetofReturn: false
      } },
"preview_order":
{ Args: { "p_order": Json }; Returns: Database["public"]['CompositeTypes']["order_preview"]
                          SetofOptions: {
        from: "*"
        to: "order_preview"
        isOneToOne: true
        isSetofReturn: false
      } },
"preview_union_exchange":
{ Args: { "p_entry_id": number,"p_target": string }; Returns: Database["public"]['CompositeTypes']["exchange_preview"]
                          SetofOptions: {
        from: "*"
        to: "exchange_preview"
        isOneToOne: true
        isSetofReturn: false
      } },
"programme_info":
{ Args: Record<PropertyKey, never>; Returns: {
              "enabled": boolean,"paused": boolean,"payout_time": string,"programme_mode": string,"union_quota_bps": number
            }[]
                           },
"projection_queue_entries":
{ Args: { "p_after_seq"?: number,"p_limit"?: number,"p_queue_id": number }; Returns: {
              "eligible": boolean,"remaining_fen": number,"seq": number
            }[]
                           },
"projection_queue_input":
{ Args: { "p_queue_id": number }; Returns: Database["public"]['CompositeTypes']["projection_queue_input"]
                          SetofOptions: {
        from: "*"
        to: "projection_queue_input"
        isOneToOne: true
        isSetofReturn: false
      } },
"qrcode_store":
{ Args: { "p_image_base64": string,"p_mime": string,"p_page": string,"p_scene": string,"p_variant": string }; Returns: Json
                           },
"qrcode_target":
{ Args: { "p_kind"?: string,"p_store_id"?: number,"p_variant"?: string }; Returns: Json
                           },
"queue_process":
{ Args: { "p_around"?: number,"p_entry_id": number }; Returns: Database["public"]['CompositeTypes']["queue_process_view"]
                          SetofOptions: {
        from: "*"
        to: "queue_process_view"
        isOneToOne: true
        isSetofReturn: false
      } },
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
"record_statement":
{ Args: { "p_bill_date": string,"p_hash": string,"p_lines": Json,"p_summary"?: Json }; Returns: Json
                           },
"record_subscriptions":
{ Args: { "p_results": Json }; Returns: Json
                           },
"record_trade_closed":
{ Args: { "p_order_no": string }; Returns: Json
                           },
"record_transfer_error":
{ Args: { "p_error": string,"p_out_bill_no": string }; Returns: Json
                           },
"record_transfer_result":
{ Args: { "p_amount_fen"?: number,"p_fail_reason"?: string,"p_out_bill_no": string,"p_package_info"?: string,"p_source"?: string,"p_state": string,"p_transfer_bill_no"?: string }; Returns: Json
                           },
"record_wechat_refund":
{ Args: { "p_account"?: string,"p_out_refund_no": string,"p_out_trade_no": string,"p_refund_fen": number,"p_status": string,"p_total_fen": number,"p_wechat_refund_id": string }; Returns: Json
                           },
"record_wechat_refund_error":
{ Args: { "p_code": string,"p_message": string,"p_out_refund_no": string }; Returns: Json
                           },
"refund_order":
{ Args: { "p_line_nos"?: (number)[],"p_order_no": string,"p_refund_ref": string }; Returns: Json
                           },
"refund_quote":
{ Args: { "p_order_id": number }; Returns: Database["public"]['CompositeTypes']["refund_quote_line"][]
                          SetofOptions: {
        from: "*"
        to: "refund_quote_line"
        isOneToOne: false
        isSetofReturn: true
      } },
"request_refund":
{ Args: { "p_line_nos": (number)[],"p_order_id": number,"p_reason": string }; Returns: Database["public"]['CompositeTypes']["refund_request_details"]
                          SetofOptions: {
        from: "*"
        to: "refund_request_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"request_withdrawal":
{ Args: { "p_amount_fen": number,"p_asset": string }; Returns: Database["public"]['CompositeTypes']["withdrawal_details"]
                          SetofOptions: {
        from: "*"
        to: "withdrawal_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"run_dividend":
{ Args: { "p_at"?: string }; Returns: Json
                           },
"run_union_payout":
{ Args: { "p_at": string }; Returns: Json
                           },
"schedule_status":
{ Args: Record<PropertyKey, never>; Returns: {
              "command": string,"cron_available": boolean,"edge_function": string,"job_name": string,"problem": string,"purpose": string,"schedule": string,"scheduled": boolean
            }[]
                           },
"settle_pending":
{ Args: { "p_max"?: number,"p_queue_id"?: number }; Returns: Json
                           },
"store_orders":
{ Args: { "p_before_id"?: number,"p_limit"?: number,"p_status"?: string,"p_store_id": number }; Returns: {
              "buyer_nickname_masked": string,"channel": string,"completed_at": string,"created_at": string,"first_item": string,"goods_fen": number,"item_count": number,"order_id": number,"order_no": string,"paid_at": string,"pay_fen": number,"refunded_fen": number,"status": string,"status_label": string
            }[]
                           },
"store_queue_stats":
{ Args: { "p_store_id": number }; Returns: Json
                           },
"submit_merchant_application":
{ Args: { "p_address": string,"p_contact_name": string,"p_contact_phone": string,"p_invite_code": string,"p_licence_no"?: string,"p_store_name": string }; Returns: Database["public"]['CompositeTypes']["merchant_application_details"]
                          SetofOptions: {
        from: "*"
        to: "merchant_application_details"
        isOneToOne: true
        isSetofReturn: false
      } },
"subscribe_templates":
{ Args: { "p_moment": string }; Returns: Json
                           },
"trades_to_close":
{ Args: { "p_limit"?: number }; Returns: {
              "order_no": string,"pay_fen": number,"time_expire": string
            }[]
                           },
"transfer_points":
{ Args: { "p_points": number,"p_to_member_code": string }; Returns: Database["public"]['CompositeTypes']["points_transfer_result"]
                          SetofOptions: {
        from: "*"
        to: "points_transfer_result"
        isOneToOne: true
        isSetofReturn: false
      } },
"transfer_recipient":
{ Args: { "p_member_code": string }; Returns: Database["public"]['CompositeTypes']["transfer_recipient_info"]
                          SetofOptions: {
        from: "*"
        to: "transfer_recipient_info"
        isOneToOne: true
        isSetofReturn: false
      } },
"transfer_request":
{ Args: { "p_app_id": string,"p_mch_id": string,"p_out_bill_no": string }; Returns: Json
                           },
"union_pool_days":
{ Args: Record<PropertyKey, never>; Returns: {
              "carry_over_fen": number,"day": string,"entries_paid": number,"held": boolean,"paid_fen": number,"pool_fen": number
            }[]
                           },
"upsert_member_by_openid":
{ Args: { "p_openid": string,"p_unionid"?: string }; Returns: string
                           },
"wechat_refund":
{ Args: { "p_out_refund_no": string }; Returns: Json
                           },
"wechat_refunds_due":
{ Args: { "p_limit"?: number }; Returns: Json[]
                           },
"wechat_token_get":
{ Args: { "p_appid": string }; Returns: Json
                           },
"wechat_token_invalidate":
{ Args: { "p_access_token": string,"p_appid": string }; Returns: boolean
                           },
"wechat_token_put":
{ Args: { "p_access_token": string,"p_appid": string,"p_expires_in": number }; Returns: Json
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            "exchange_preview": {
                        "entry_id": number | null,"target": string | null,"remaining_fen": number | null,"ratio_bps": number | null,"exchange_bps": number | null,"amount": number | null,"asset": string | null,"frozen": boolean | null
                      },"exchange_result": {
                        "entry_id": number | null,"target": string | null,"remaining_fen": number | null,"ratio_bps": number | null,"exchange_bps": number | null,"amount": number | null,"asset": string | null,"frozen": boolean | null,"exchange_id": number | null,"status": string | null,"entry_status": string | null,"balance_after": number | null,"exchanged_at": string | null
                      },"invite_details": {
                        "member_code": string | null,"invite_code": string | null,"scene": string | null,"page": string | null,"referrer": Database["public"]['CompositeTypes']["invite_referrer"] | null,"referrer_nickname": string | null,"team_level": Database["public"]['CompositeTypes']["invite_team_level"] | null,"is_promoter": boolean | null,"can_invite_merchants": boolean | null,"merchant_invite_code": string | null,"merchant_scene": string | null,"merchant_page": string | null,"invited_count": number | null,"indirect_count": number | null
                      },"invite_referrer": {
                        "nickname_masked": string | null,"bound_at": string | null
                      },"invite_team_level": {
                        "id": number | null,"name": string | null,"diff_bps": number | null,"shareholder": boolean | null
                      },"lottery_draw_result": {
                        "entry_id": number | null,"mode": string | null,"drawn_bps": number | null,"previous_bps": number | null,"previous_entitlement_fen": number | null,"entitlement_fen": number | null,"entitlement": number | null,"remaining_fen": number | null,"rule_code": string | null,"rule_label": string | null,"config": Json | null,"options": Json | null,"min_bps": number | null,"max_bps": number | null,"drawn_at": string | null
                      },"merchant_application_details": {
                        "application_id": number | null,"status": string | null,"status_label": string | null,"store_name": string | null,"contact_name": string | null,"contact_phone": string | null,"address": string | null,"licence_no": string | null,"invite_code": string | null,"platform_invite": boolean | null,"reject_reason": string | null,"store_id": number | null,"created_at": string | null,"decided_at": string | null
                      },"order_details": {
                        "order_id": number | null,"order_no": string | null,"channel": string | null,"status": string | null,"status_label": string | null,"store_id": number | null,"store_name": string | null,"goods_fen": number | null,"points_deduct_fen": number | null,"love_deduct_fen": number | null,"pay_fen": number | null,"refunded_fen": number | null,"created_at": string | null,"paid_at": string | null,"completed_at": string | null,"cancelled_at": string | null,"refunded_at": string | null,"lines": (Database["public"]['CompositeTypes']["order_line_details"])[] | null,"replayed": boolean | null,"delivery_name": string | null,"delivery_phone": string | null,"delivery_region": string | null,"delivery_address": string | null,"remark": string | null
                      },"order_line_details": {
                        "line_no": number | null,"product_id": number | null,"name": string | null,"quantity": number | null,"unit_price_fen": number | null,"amount_fen": number | null,"points_deduct_fen": number | null,"love_deduct_fen": number | null,"pay_fen": number | null,"joined": boolean | null,"queue_id": number | null,"no_entry_reason": string | null,"entry_id": number | null,"entry_status": string | null,"entitlement_fen": number | null,"reward_bps": number | null,"reward_rule_label": string | null,"settled": boolean | null,"refunded": boolean | null,"refund_fen": number | null
                      },"order_preview": {
                        "channel": string | null,"store_id": number | null,"goods_fen": number | null,"points_deduct_fen": number | null,"love_deduct_fen": number | null,"pay_fen": number | null,"lines": (Database["public"]['CompositeTypes']["order_preview_line"])[] | null
                      },"order_preview_line": {
                        "line_no": number | null,"product_id": number | null,"quantity": number | null,"amount_fen": number | null,"pay_fen": number | null,"earns": boolean | null,"no_entry_reason": string | null,"reward_bps": number | null,"reward_rule_code": string | null,"reward_rule_label": string | null,"entitlement_fen": number | null,"lottery": boolean | null
                      },"points_transfer_result": {
                        "transfer_id": number | null,"points": number | null,"points_balance": number | null,"balance_after": number | null,"to_member_code": string | null,"to_nickname_masked": string | null,"to_nickname": string | null
                      },"projection_queue_input": {
                        "queue_id": number | null,"queue_name": string | null,"as_of": string | null,"queue_created_at": string | null,"closed": boolean | null,"plugin_on": boolean | null,"paused": boolean | null,"reward_rule": string | null,"extraction_bps": number | null,"reward_bps": number | null,"next_clearing_at": string | null,"first_day": string | null,"daily_inflow_fen": (number)[] | null,"daily_lines": (number)[] | null,"waiting_count": number | null,"waiting_fen": number | null,"eligible_waiting_fen": number | null
                      },"queue_display": {
                        "show_process": boolean | null,"show_received": boolean | null,"show_waiting": boolean | null,"show_member_info": boolean | null,"show_waiting_amount": boolean | null
                      },"queue_neighbour": {
                        "seq": number | null,"is_mine": boolean | null,"status": string | null,"status_label": string | null,"nickname": string | null,"avatar_url": string | null,"entitlement_fen": number | null,"received_fen": number | null,"remaining_fen": number | null
                      },"queue_process_entry": {
                        "entry_id": number | null,"seq": number | null,"status": string | null,"status_label": string | null,"entitlement_fen": number | null,"received_fen": number | null,"remaining_fen": number | null,"closed_fen": number | null,"reward_bps": number | null,"rule_label": string | null,"order_no": string | null,"order_completed": boolean | null,"created_at": string | null,"ended_at": string | null,"can_draw": boolean | null,"drawn_bps": number | null,"can_exchange": boolean | null,"lottery_config": Json | null,"converted_asset": string | null,"converted_amount": number | null
                      },"queue_process_view": {
                        "entry": Database["public"]['CompositeTypes']["queue_process_entry"] | null,"queue_id": number | null,"queue_name": string | null,"reward_rule": string | null,"position": number | null,"ahead_count": number | null,"ahead_amount_fen": number | null,"eligible_ahead_count": number | null,"eligible_ahead_amount_fen": number | null,"display": Database["public"]['CompositeTypes']["queue_display"] | null,"around": (Database["public"]['CompositeTypes']["queue_neighbour"])[] | null,"inflow_7d_fen": number | null,"inflow_30d_fen": number | null,"queue_created_at": string | null
                      },"referrer_binding": {
                        "bound": boolean | null,"already_bound": boolean | null,"referrer_nickname_masked": string | null,"referrer_nickname": string | null,"bound_at": string | null,"source": string | null
                      },"refund_quote_line": {
                        "line_no": number | null,"name": string | null,"quantity": number | null,"pay_fen": number | null,"received_fen": number | null,"refundable_fen": number | null,"points_deduct_fen": number | null,"love_deduct_fen": number | null,"entry_status": string | null,"refundable": boolean | null,"reason": string | null
                      },"refund_request_details": {
                        "request_id": number | null,"order_id": number | null,"order_no": string | null,"line_nos": (number)[] | null,"reason": string | null,"status": string | null,"status_label": string | null,"refundable_fen": number | null,"points_fen": number | null,"love_fen": number | null,"reject_reason": string | null,"requested_at": string | null,"decided_at": string | null
                      },"store_dashboard": {
                        "store_id": number | null,"store_code": string | null,"name": string | null,"status": string | null,"status_label": string | null,"cashier_code": string | null,"cashier_scene": string | null,"cashier_page": string | null,"online": Database["public"]['CompositeTypes']["store_sales"] | null,"cashier": Database["public"]['CompositeTypes']["store_sales"] | null,"queues": (Database["public"]['CompositeTypes']["store_queue_stat"])[] | null
                      },"store_queue_stat": {
                        "queue_id": number | null,"scope": string | null,"name": string | null,"open": boolean | null,"waiting_count": number | null,"waiting_remaining_fen": number | null,"total_distributed_fen": number | null,"total_entitlement_fen": number | null
                      },"store_sales": {
                        "today_count": number | null,"today_fen": number | null,"d30_count": number | null,"d30_fen": number | null
                      },"team_summary": {
                        "direct_count": number | null,"indirect_count": number | null,"team_level": Database["public"]['CompositeTypes']["team_summary_level"] | null,"rewards": Database["public"]['CompositeTypes']["team_summary_rewards"] | null,"commission_fen": number | null
                      },"team_summary_level": {
                        "id": number | null,"name": string | null,"diff_bps": number | null,"shareholder": boolean | null,"can_recruit_merchants": boolean | null
                      },"team_summary_rewards": {
                        "direct_fen": number | null,"indirect_fen": number | null,"level_diff_fen": number | null,"merchant_recruit_fen": number | null,"dividend_fen": number | null,"total_fen": number | null
                      },"transfer_recipient_info": {
                        "member_code": string | null,"nickname_masked": string | null
                      },"withdrawal_details": {
                        "withdrawal_id": number | null,"asset": string | null,"amount_fen": number | null,"fee_bps": number | null,"fee_fen": number | null,"net_fen": number | null,"status": string | null,"status_label": string | null,"payout_ref": string | null,"reject_reason": string | null,"requested_at": string | null,"decided_at": string | null,"app_id": string | null,"mch_id": string | null,"package_info": string | null,"transfer_state": string | null
                      },"withdrawal_info": {
                        "min_fen": number | null,"fee_bps": number | null,"daily_limit": number | null,"today_count": number | null,"pending_fen": number | null,"cash_fen": number | null,"commission_fen": number | null
                      }
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
