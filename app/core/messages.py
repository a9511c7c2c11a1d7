"""The message catalogue: every text the service shows a person, in zh-CN and en, keyed by
the stable codes clients already see (problem `code`s, `allowed_actions`, states, roles,
approval rule codes, pydantic's validation error types).

Problems: the English title is the error class's `title` (a test keeps them equal); the
Chinese detail is a template over the problem's members (its `extension` facts, e.g.
`{current_status}`), tried in order until one has every member it names; with none that
fits, the Chinese title stands for the detail. English details stay what the code raised:
they often name facts (ids, numbers) that are not members.

To add a problem code: one line in PROBLEMS,
`"<code>": _p("<class title, verbatim>", "<中文标题>", "<中文说明，可用 {member}>")`;
tests/core/test_messages.py walks every AppError subclass and fails for a code missing here.
"""

from dataclasses import dataclass
from typing import Any

from app.core.i18n import Language


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def __call__(self, language: Language) -> str:
        return self.zh if language == "zh-CN" else self.en


@dataclass(frozen=True)
class ProblemMessages:
    title: Text
    # Chinese templates for `detail`, the first whose members are all present wins.
    zh_details: tuple[str, ...] = ()


def _p(en: str, zh: str, *zh_details: str) -> ProblemMessages:
    return ProblemMessages(Text(en, zh), zh_details)


PROBLEMS: dict[str, ProblemMessages] = {
    # Core: any operation may meet these.
    "error": _p("Request refused", "请求被拒绝"),
    "bad_request": _p("Bad request", "请求有误"),
    "not_found": _p("Not found", "未找到"),
    "forbidden": _p(
        "Not allowed", "无权操作",
        "您的角色不允许执行操作 {operation}（需要以下权限之一：{capabilities}）。",
        "您的角色不具备权限 {capability}。",
        "操作 {operation} 未在角色权限表中登记。"),
    "conflict": _p("Conflict", "冲突", "状态已变为{status_now}。"),
    "unprocessable": _p("The request cannot be processed", "无法处理该请求"),
    "validation_error": _p("The request is invalid", "请求参数无效"),
    # Spreadsheet imports (app/core/imports.py).
    "import.unreadable": _p(
        "The file is not a readable XLSX or CSV spreadsheet", "文件不是可读取的 XLSX 或 CSV 表格"),
    "import.too_many_rows": _p(
        "The file has too many rows", "文件行数过多", "每个文件最多 {max_rows} 行，请拆分后导入。"),
    "import.unknown_columns": _p(
        "The file has columns this import does not know", "文件中有无法识别的列",
        "第 {errors} 列无法识别或重复。"),
    "import.rows_invalid": _p(
        "Some rows cannot be imported; nothing was imported", "部分行无法导入，未导入任何数据",
        "有行未通过校验，全部未导入；详见 row_errors。"),
    "state.invalid_transition": _p(
        "Action not allowed in the current state", "当前状态下不允许此操作",
        "当前状态为{current_status}，可转到：{allowed_next}。",
        "当前阶段为{current_stage}，可转到：{allowed_next}。",
        "当前状态为{current_status}。"),
    "precondition_failed": _p(
        "The resource has changed since you read it", "数据在您读取后已被修改",
        "当前版本为 {current_version}，请重新读取后再提交。"),
    "precondition_malformed": _p(
        "If-Match header is not a valid ETag", "If-Match 请求头不是有效的 ETag",
        "If-Match 应形如 '\"3\"'。"),
    "request.malformed_json": _p("Malformed JSON body", "请求体不是有效的 JSON"),
    "request.unknown_query_parameter": _p(
        "Unknown query parameter", "未知的查询参数", "未知的查询参数：{errors}。"),
    "request_too_large": _p(
        "Request body too large", "请求体过大", "请求体不得超过 {max_bytes} 字节。"),
    "request_headers_too_large": _p(
        "Request header fields too large", "请求头过大", "请求行与请求头合计不得超过 {max_bytes} 字节。"),
    "method_not_allowed": _p("Method not allowed", "不支持该请求方法"),
    "not_acceptable": _p("Not acceptable", "无法提供可接受的响应格式"),
    "unsupported_media_type": _p("Unsupported media type", "不支持的媒体类型"),
    "http_error": _p("HTTP error", "HTTP 错误"),
    "internal_error": _p("Internal server error", "服务器内部错误",
                         "发生了意外错误，已记录日志。"),
    "not_ready": _p("Not ready", "服务尚未就绪"),
    "service.unavailable": _p(
        "The service is briefly unavailable; retry shortly", "服务暂时不可用，请稍后重试"),
    "auth.invalid_token": _p("The bearer token is invalid", "访问令牌无效"),
    "auth.missing_token": _p("A bearer token is required", "需要访问令牌（Bearer）"),
    "auth.token_expired": _p("The bearer token has expired", "访问令牌已过期"),
    "pagination.invalid_cursor": _p("The cursor is not valid for this list", "分页游标对此列表无效"),
    "pricing.amount_too_large": _p(
        "An amount is larger than the service can hold", "金额超出系统可处理的上限",
        "金额 {field} 超出上限。"),
    "idempotency.in_progress": _p(
        "A request with this Idempotency-Key is still being processed",
        "使用此 Idempotency-Key 的请求仍在处理中"),
    "idempotency.key_invalid": _p(
        "Idempotency-Key must be 1 to 255 visible ASCII characters",
        "Idempotency-Key 须为 1 至 255 个可见 ASCII 字符"),
    "idempotency.key_reused": _p(
        "This Idempotency-Key was used with a different request",
        "此 Idempotency-Key 已用于另一个不同的请求"),
    "idempotency.response_not_kept": _p(
        "The first request with this Idempotency-Key succeeded, but its response was not kept",
        "使用此 Idempotency-Key 的首次请求已成功，但其响应未被保存"),
    # Approvals and delegations.
    "approval.already_decided": _p(
        "You have already decided on this step", "您已对此审批步骤作出决定"),
    "approval.duplicate_approver": _p(
        "One person cannot approve two steps of the same request",
        "同一人不能审批同一申请的两个步骤"),
    "approval.invalid_policy": _p("The approval policy is not valid", "审批策略无效"),
    "approval.no_policy": _p(
        "The approval policy has no entry for this kind of document", "审批策略中没有此类单据的条目"),
    "approval.not_eligible": _p(
        "No step of this request is yours to decide", "此申请没有由您审批的步骤"),
    "approval.not_found": _p("Approval request not found", "未找到审批申请"),
    "approval.not_pending": _p(
        "The request has already been decided", "该申请已审批完毕", "该申请当前为{status_now}。"),
    "approval.not_submitter": _p(
        "Only the submitter may recall a request", "只有提交人可以撤回申请"),
    "approval.policy_changed": _p(
        "Another policy version was saved at the same time; reload and retry",
        "另一版本的审批策略同时被保存，请重新加载后重试"),
    "approval.self_approval": _p(
        "You cannot decide on a request you submitted", "不能审批自己提交的申请"),
    "approval.step_not_pending": _p(
        "That step is no longer waiting for a decision", "该步骤已不在等待审批"),
    "approval.step_required": _p(
        "Several steps are yours to decide; say which with step_id",
        "有多个步骤由您审批，请用 step_id 指明", "可由您审批的步骤：{step_ids}。"),
    "delegation.invalid": _p("The delegation is not valid", "授权委托无效"),
    "delegation.not_found": _p("Delegation not found", "未找到授权委托"),
    # Calendar.
    "calendar.concurrent_change": _p(
        "Another request changed this day at the same time; retry", "另一请求同时修改了这一天，请重试"),
    "calendar.day_not_found": _p(
        "The calendar has no entry for this day", "日历中没有这一天的条目"),
    "calendar.official_year_unknown": _p(
        "The official holiday schedule of this year is not known",
        "尚无该年度的国家法定节假日安排"),
    "calendar.invalid_range": _p(
        "The date range is empty or too long", "日期范围为空或过长", "每次最多查询 {max_days} 天。"),
    "calendar.workday_not_weekend": _p(
        "A make-up working day must fall on a Saturday or Sunday", "调休上班日必须是周六或周日",
        "以下日期是工作日：{days}。"),
    # Contracts.
    "contract.amendment_exists": _p(
        "This contract already has an amendment in progress or in force", "该合同已有进行中或已生效的变更"),
    "contract.base_currency_rate": _p(
        "A contract in the base currency (CNY) has an exchange rate of 1",
        "本位币（人民币）合同的汇率必须为 1"),
    "contract.forbidden": _p(
        "Your role may read this contract but not change it", "您的角色可以查看但不能修改此合同"),
    "contract.locked": _p(
        "The contract is locked: pending approval or approved; change it by amendment",
        "合同已锁定（审批中或已批准），请通过变更修改", "合同当前为{status_now}。"),
    "contract.no_termination_pending": _p(
        "No termination of this contract is awaiting approval", "该合同没有待审批的终止申请"),
    "contract.not_found": _p("Contract not found", "未找到合同"),
    "contract.payment_schedule_invalid": _p(
        "Payment milestones must add up to 100 %", "付款节点比例合计必须为 100 %",
        "各付款节点合计为 {percent_total} %，而不是 100 %。"),
    "contract.quote_already_contracted": _p(
        "A contract has already been drafted from this quote", "已根据此报价起草过合同",
        "合同 {contract_id} 已根据此报价起草。"),
    "contract.quote_not_accepted": _p(
        "A contract is drafted only from a quote the customer has accepted",
        "只能根据客户已接受的报价起草合同", "报价当前为{quote_status}。"),
    "contract.quote_ordered": _p(
        "Orders were placed from this quote directly; it cannot also become a contract",
        "已直接根据此报价下单，不能再生成合同", "订单 {order_id} 已根据此报价下单。"),
    "contract.termination_pending": _p(
        "A termination of this contract is already awaiting approval", "该合同的终止申请已在审批中"),
    "contract.unknown_customer": _p(
        "The customer does not exist or is not yours", "客户不存在或不归您负责"),
    "contract.unknown_product": _p(
        "A line names a product that does not exist or is inactive", "行项目中的产品不存在或已停用",
        "不存在或已停用的产品：{product_ids}。"),
    "contract.unknown_quote": _p("The quote does not exist or is not yours", "报价不存在或不归您负责"),
    # Customers and departments.
    "customer.credit_terms_forbidden": _p(
        "Only finance, the GM or an admin may set credit rating, limit and payment terms",
        "只有财务、总经理或系统管理员可以设置信用等级、信用额度和付款条件"),
    "customer.duplicate_credit_code": _p(
        "A customer with this unified social credit code already exists", "已存在使用此统一社会信用代码的客户"),
    "customer.in_use": _p("The customer has documents and cannot be deleted", "该客户已有单据，不能删除"),
    "customer.not_found": _p("Customer not found", "未找到客户"),
    "customer.owner_required": _p(
        "owner_id and department_id are required for your role", "您的角色必须填写 owner_id 和 department_id"),
    "customer.ownership_forbidden": _p(
        "You may not give this customer to that owner or department", "您不能将此客户分配给该负责人或部门"),
    "customer.unknown_department": _p(
        "The department does not exist or is inactive", "部门不存在或已停用"),
    "department.duplicate": _p(
        "A department with this id or name already exists", "已存在相同编号或名称的部门"),
    "department.in_use": _p(
        "The department still has records; deactivate it instead", "该部门仍有业务记录，请改为停用"),
    "department.not_found": _p("Department not found", "未找到部门"),
    # Deliveries.
    "delivery.date_before_shipment": _p(
        "Goods are received or returned on or after the day they were shipped",
        "签收或退货日期不能早于发货日期", "货物发出日期为 {shipped_on}。"),
    "delivery.date_in_future": _p(
        "A shipment, receipt or return is recorded once it has happened", "发货、签收或退货须在发生后登记"),
    "delivery.exceeds_returnable": _p(
        "A line returns more than was shipped on it and not yet returned", "退货数量超过该行已发货未退回的数量"),
    "delivery.exceeds_undelivered": _p(
        "A line asks for more than the order still has to deliver", "发货数量超过订单尚未发货的数量"),
    "delivery.forbidden": _p(
        "Your roles may read this delivery but not do this to it", "您的角色可以查看此发货单，但不能执行此操作",
        "您的角色不具备权限 {capability}。"),
    "delivery.not_found": _p("Delivery not found", "未找到发货单"),
    "delivery.order_closed": _p(
        "The order is closed or cancelled: its deliveries can no longer change it",
        "订单已关闭或取消，其发货单不能再改变订单", "订单当前为{order_status}。"),
    "delivery.order_not_deliverable": _p(
        "Only a confirmed or partially delivered order is delivered", "只有已确认或部分发货的订单才能发货",
        "订单当前为{order_status}。"),
    "delivery.unknown_line": _p(
        "A line names a delivery line that is not on this delivery", "所指发货行不属于此发货单",
        "此发货单没有这些行：{delivery_line_ids}。"),
    "delivery.unknown_order": _p(
        "The order does not exist or is not one you see", "订单不存在或您无权查看"),
    "delivery.unknown_order_line": _p(
        "A line names an order line that is not on this order", "所指订单行不属于此订单",
        "订单没有这些行：{order_line_ids}。", "订单没有这些行号：{line_nos}。"),
    # Leads and opportunities.
    "lead.assignment_forbidden": _p(
        "You may not give this lead to that owner or department", "您不能将此线索分配给该负责人或部门"),
    "lead.closed": _p(
        "The lead is converted or disqualified and can no longer change", "线索已转化或已判定无效，不能再修改",
        "线索当前为{status_now}。"),
    "lead.contact_required": _p(
        "A lead needs a phone number or an e-mail address", "线索须有电话号码或电子邮箱"),
    "lead.customer_owned_by_another": _p(
        "The customer belongs to another rep; a lead converts only into its owner's customer",
        "该客户属于另一位销售代表，线索只能转化为其负责人的客户", "客户的负责人是 {customer_owner_id}。"),
    "lead.department_required": _p(
        "department_id is required for your role", "您的角色必须填写 department_id"),
    "lead.forbidden": _p(
        "Your role may read this lead but not work it", "您的角色可以查看但不能跟进此线索"),
    "lead.not_found": _p("Lead not found", "未找到线索"),
    "lead.unassigned": _p("Assign the lead to a rep before converting it", "请先将线索分配给销售代表再转化"),
    "lead.unknown_customer": _p(
        "The customer does not exist or is not visible to you", "客户不存在或您无权查看"),
    "lead.unknown_department": _p(
        "The department does not exist or is inactive", "部门不存在或已停用"),
    "opportunity.closed": _p(
        "The opportunity is won or lost and can no longer change", "商机已赢单或丢单，不能再修改"),
    "opportunity.forbidden": _p(
        "Your role may read this opportunity but not change it", "您的角色可以查看但不能修改此商机"),
    "opportunity.no_pending_proposal": _p(
        "No proposal of this opportunity is awaiting approval", "该商机没有待审批的方案"),
    "opportunity.not_found": _p("Opportunity not found", "未找到商机"),
    "opportunity.proposal_approved": _p(
        "The proposal is already approved; a new one is reviewed after the opportunity goes "
        "back before the proposal stage", "方案已获批准；商机退回方案阶段之前后才会审批新方案"),
    "opportunity.proposal_not_approved": _p(
        "A high or medium grade opportunity negotiates only after its proposal is approved",
        "高、中等级商机须在方案获批后才能进入谈判", "方案状态：{proposal_status}。"),
    "opportunity.proposal_out_of_stage": _p(
        "A proposal is submitted while the opportunity is at the proposal stage",
        "只有商机处于方案阶段时才能提交方案", "商机当前处于{current_stage}阶段。"),
    "opportunity.proposal_pending": _p(
        "The proposal is awaiting approval; recall it first", "方案正在审批中，请先撤回"),
    "opportunity.unknown_customer": _p(
        "The customer does not exist or is not yours", "客户不存在或不归您负责"),
    # Orders.
    "order.amount_exceeds_remaining": _p(
        "The order's total is more than remains of its contract's or quote's amount",
        "订单总额超过合同或报价的剩余金额", "订单总额 {total} 超过剩余金额 {remaining}。"),
    "order.close_reason_required": _p(
        "Closing an order short (the rest will not be delivered) needs a reason",
        "提前关闭订单（余量不再发货）须填写原因"),
    "order.contract_not_open": _p(
        "Orders are called off only signed contracts in force (not being terminated)",
        "只能从已签订且有效（未在终止中）的合同下单", "合同当前为{contract_status}。"),
    "order.date_in_past": _p(
        "A requested or planned delivery date is before today", "要求或计划的交货日期早于今天",
        "{date} 早于今天。"),
    "order.deliveries_pending": _p(
        "A delivery of this order is planned and not shipped yet", "此订单有已计划但尚未发货的发货单"),
    "order.deliveries_scheduled": _p(
        "Deliveries are scheduled for this order: cancel them first", "此订单已安排发货，请先取消发货单"),
    "order.forbidden": _p(
        "Your role may read this order but not do that to it", "您的角色可以查看此订单，但不能执行此操作"),
    "order.locked": _p(
        "The order is locked: it is in review or confirmed; only a draft is edited",
        "订单已锁定（审核中或已确认），只能修改草稿", "订单当前为{status_now}。"),
    "order.not_found": _p("Order not found", "未找到订单"),
    "order.quantity_exceeds_remaining": _p(
        "A line orders more than remains of its contract or quote line", "行项目数量超过合同或报价行的剩余数量"),
    "order.quote_contracted": _p(
        "A contract was drafted from this quote: order from the contract", "已根据此报价起草合同，请从合同下单",
        "合同 {contract_id} 已根据此报价起草。"),
    "order.quote_not_orderable": _p(
        "The approval policy does not allow orders from a quote in this state",
        "审批策略不允许从此状态的报价下单",
        "报价当前为{quote_status}；允许下单的报价状态：{orderable_states}。"),
    "order.unknown_contract": _p("The contract does not exist or is not yours", "合同不存在或不归您负责"),
    "order.unknown_line": _p("The order has no line with that number", "订单没有该行号"),
    "order.unknown_quote": _p("The quote does not exist or is not yours", "报价不存在或不归您负责"),
    "order.unknown_source_line": _p(
        "A line names a contract or quote line that is not of this contract or quote",
        "所指的合同行或报价行不属于此合同或报价",
        "以下行不属于来源单据：{line_ids}。", "第 {line_nos} 行引用了另一类单据的行。"),
    # Receivables and payments.
    "payment.allocation_mismatch": _p(
        "The allocation lines do not add up to the payment's amount", "分配明细合计与回款金额不符",
        "回款金额为 {total}。"),
    "payment.mixed_payers": _p(
        "One payment settles receivables of one customer, in one currency", "一笔回款只能核销同一客户、同一币种的应收款"),
    "payment.not_found": _p("Payment not found", "未找到回款"),
    "payment.reference_reused": _p(
        "This payer's reference names an earlier payment of another amount", "此付款参考号已用于另一笔金额不同的回款",
        "该参考号对应回款 {payment_id}，金额为 {total}。"),
    "payment.unknown_receivable": _p(
        "An allocation line names a receivable that does not exist or is not one you see",
        "分配明细中的应收款不存在或您无权查看", "不存在或无权查看的应收款：{receivable_ids}。"),
    "receivable.contract_not_signed": _p(
        "Milestones are invoiced on signed contracts in force", "只能为已签订且有效的合同的付款节点开票",
        "合同当前为{contract_status}。"),
    "receivable.credit_exceeds_balance": _p(
        "The credit is more than the receivable's balance", "红字冲销金额超过应收款余额",
        "应收款 {receivable_id} 尚余 {balance} 未收。"),
    "receivable.date_in_future": _p("The date is after today", "日期晚于今天"),
    "receivable.forbidden": _p(
        "Your roles may read this receivable but not do this to it", "您的角色可以查看此应收款，但不能执行此操作",
        "您的角色不具备权限 {capability}。"),
    "receivable.milestone_already_invoiced": _p(
        "This milestone of the contract already has its receivable", "合同的此付款节点已有应收款",
        "应收款 {receivable_id} 已为其开票。"),
    "receivable.milestone_invoiced_by_shipments": _p(
        "An on-delivery milestone is invoiced by the shipments, not by hand", "按发货付款的节点由发货自动开票，不能手工开票"),
    "receivable.not_found": _p("Receivable not found", "未找到应收款"),
    "receivable.not_creditable": _p(
        "Credit notes lower open or partly paid receivables only", "红字冲销只能冲减未收或部分收款的应收款",
        "应收款 {receivable_id} 当前为{current_status}。"),
    "receivable.not_payable": _p(
        "Payments settle open or partly paid receivables only", "回款只能核销未收或部分收款的应收款",
        "应收款 {receivable_id} 当前为{current_status}。"),
    "receivable.not_write_offable": _p(
        "Only an open or partly paid receivable can be written off", "只有未收或部分收款的应收款可以核销",
        "应收款当前为{current_status}。"),
    "receivable.nothing_owed": _p(
        "The receivable is paid or written off: nothing is left to collect", "应收款已收清或已核销，无需催收",
        "应收款当前为{current_status}。"),
    "receivable.overpayment": _p(
        "The payment is more than the receivable's balance", "回款金额超过应收款余额",
        "应收款 {receivable_id} 尚余 {balance} 未收。"),
    "receivable.unknown_contract": _p(
        "The contract does not exist or is not one you see", "合同不存在或您无权查看"),
    "receivable.unknown_milestone": _p(
        "The contract's payment schedule has no such milestone", "合同付款计划中没有此节点",
        "合同共有 {milestone_count} 个付款节点，从 0 开始编号。"),
    # Sales plans and targets (销售计划、业绩目标).
    "sales_plan.allocation_mismatch": _p(
        "The reps' targets do not add up to the plan's target to the cent",
        "各业务员的业绩目标合计与计划目标不符（须精确到分）",
        "各业务员目标合计 {allocated}，计划目标为 {target_amount}，相差 {difference}。"),
    "sales_plan.exists": _p(
        "The department already has a plan for this period: revise that one",
        "该部门本期已有销售计划，请修订原计划", "该部门本期已有销售计划 {plan_id}。"),
    "sales_plan.forbidden": _p(
        "Your role may read this plan but not do that to it", "您的角色可以查看此销售计划，但不能执行此操作"),
    "sales_plan.lines_mismatch": _p(
        "The product lines' targets do not add up to the plan's target",
        "各产品线目标合计与计划目标不符",
        "各产品线目标合计 {total}，计划目标为 {target_amount}，相差 {difference}。"),
    "sales_plan.locked": _p(
        "The plan is in approval, approved or ended; only a draft is edited",
        "销售计划已在审批中、已批准或已结束，只能修改草稿", "销售计划当前为{status_now}。"),
    "sales_plan.months_mismatch": _p(
        "A target's months do not add up to the target, or the plan is not yearly",
        "业绩目标的月度分解合计与目标不符，或该计划不是年度计划",
        "业务员 {owner_id} 的月度目标合计 {total}，与其业绩目标 {target_amount} 不符。",
        "月度计划的业绩目标不能再按月分解（业务员 {owner_id}）。"),
    "sales_plan.not_found": _p("Sales plan not found", "未找到销售计划"),
    "sales_plan.not_in_force": _p(
        "Only the plan in force (approved) is revised or has its targets acknowledged",
        "只有已生效（已批准）的销售计划才能修订或确认业绩目标", "销售计划当前为{status_now}。"),
    "sales_plan.revision_open": _p(
        "A revision of this plan is already drafted or in approval", "该销售计划已有草拟中或审批中的修订版"),
    "sales_plan.unknown_department": _p(
        "The department does not exist or is not yours to plan",
        "部门不存在或不由您编制销售计划"),
    "sales_target.already_acknowledged": _p(
        "The target was acknowledged already", "该业绩目标已确认"),
    "sales_target.not_found": _p("Sales target not found", "未找到业绩目标"),
    "sales_target.not_owner": _p(
        "Only the rep a target belongs to acknowledges it", "只有业绩目标所属的业务员本人可以确认"),
    # Expense budgets and overrides (销售费用预算、超预算特批).
    "expense_budget.exists": _p(
        "The department already has a budget for this year", "该部门本年度已有费用预算"),
    "expense_budget.forbidden": _p(
        "Your roles may read this budget but not do this to it", "您的角色可以查看此费用预算，但不能执行此操作",
        "您的角色不具备权限 {capability}。"),
    "expense_budget.locked": _p(
        "Only a draft budget can be edited", "只能修改草稿状态的费用预算",
        "费用预算当前为{current_status}。"),
    "expense_budget.no_such_item": _p(
        "The budget has no item of this category", "该预算没有此类别的费用科目"),
    "expense_budget.not_found": _p("Expense budget not found", "未找到费用预算"),
    "expense_budget.not_in_force": _p(
        "Expenses are recorded against an approved budget only", "只能在已批准的费用预算下登记费用",
        "费用预算当前为{current_status}。"),
    "expense_budget.outside_year": _p(
        "The expense's date is not in the budget's year", "费用发生日期不在预算年度内",
        "{date} 不在预算年度内。"),
    "expense_budget.over_remainder": _p(
        "The expense is more than what is left of the item; a GM override may allow it",
        "费用超出该科目剩余预算，可申请总经理特批",
        "该科目剩余预算 {remainder}，本笔费用超出 {amount_over}。"),
    "expense_budget.unknown_department": _p(
        "The department does not exist or is not one you may budget for",
        "部门不存在或不由您编制预算"),
    "expense_override.not_found": _p("Expense override not found", "未找到超预算费用申请"),
    "expense_override.within_remainder": _p(
        "The expense fits the item's remainder: record it, no override is needed",
        "该费用未超出科目剩余预算，直接登记即可，无需特批", "该科目剩余预算 {remainder}。"),
    # Deviation control (销售偏差控制).
    "deviation.forbidden": _p(
        "Your roles may read this but not do this to it", "您的角色可以查看，但不能执行此操作",
        "您的角色不具备权限 {capability}。"),
    "deviation.not_below_standard": _p(
        "The department is not below its minimum standard for the period",
        "该部门本期销售未低于最低控制标准，无需偏差分析",
        "本期实际销售 {actual}，最低控制标准 {standard}，偏差 {deviation}。"),
    "deviation.period_in_future": _p(
        "The period has not started yet", "该期间尚未开始", "该期间自 {date} 开始。"),
    "deviation.unknown_department": _p(
        "No such department among those you answer for", "您负责的部门中没有此部门"),
    "deviation_analysis.locked": _p(
        "Only a draft analysis can be edited", "只能修改草稿状态的偏差分析",
        "偏差分析当前为{current_status}。"),
    "deviation_analysis.measures_not_open": _p(
        "Measures are tracked once the GM has approved the analysis",
        "偏差分析经总经理批准后才能跟踪改进措施", "偏差分析当前为{current_status}。"),
    "deviation_analysis.not_found": _p("Deviation analysis not found", "未找到偏差分析"),
    "deviation_measure.already_done": _p("The measure is already done", "该改进措施已完成"),
    "deviation_measure.not_found": _p("The analysis has no such measure", "该偏差分析没有此改进措施"),
    "deviation_target.set_concurrently": _p(
        "Someone set this target at the same moment", "他人同时设置了此增长目标，请重新读取后再试"),
    # Products, quotes, reports, webhooks.
    "product.duplicate_sku": _p("A product with this SKU already exists", "已存在此 SKU 的产品"),
    "product.floor_above_list": _p(
        "The floor price cannot exceed the list price", "最低价不能高于标价",
        "最低价 {floor_price} 高于标价 {list_price}。"),
    "product.in_use": _p(
        "The product is used by documents; deactivate it instead", "该产品已被单据使用，请改为停用"),
    "product.not_found": _p("Product not found", "未找到产品"),
    "quote.base_currency_rate": _p(
        "A quote in the base currency (CNY) has an exchange rate of 1", "本位币（人民币）报价的汇率必须为 1"),
    "quote.expired": _p(
        "The quote is past its valid-until date; revise it into a new version",
        "报价已过有效期，请修订为新版本", "报价有效期至 {valid_until}。"),
    "quote.forbidden": _p(
        "Your role may read this quote but not change it", "您的角色可以查看但不能修改此报价"),
    "quote.lines_required": _p(
        "Changing the currency or exchange rate reprices the lines: send them too",
        "更改币种或汇率会重新计算行项目价格，请一并提交行项目"),
    "quote.locked": _p(
        "Only a draft quote can be edited; revise a sent quote into a new version",
        "只能修改草稿报价；已发送的报价请修订为新版本", "报价当前为{status_now}。"),
    "quote.not_found": _p("Quote not found", "未找到报价"),
    "quote.opportunity_mismatch": _p(
        "The opportunity is not visible to you, closed, or of another customer",
        "商机对您不可见、已关闭或属于其他客户"),
    "quote.unknown_customer": _p("The customer does not exist or is not yours", "客户不存在或不归您负责"),
    "quote.unknown_product": _p(
        "A line names a product that does not exist or is inactive", "行项目中的产品不存在或已停用",
        "不存在或已停用的产品：{product_ids}。"),
    "quote.valid_until_past": _p("valid_until must be today or later", "valid_until 不能早于今天"),
    "report.invalid_range": _p("The range ends before it starts", "日期范围的结束早于开始"),
    "webhook.delivery_in_flight": _p(
        "The delivery is being attempted right now; retry when it has finished",
        "该投递正在进行中，请在完成后重试"),
    "webhook.delivery_not_found": _p("Webhook delivery not found", "未找到 Webhook 投递记录"),
    "webhook.disabled": _p(
        "The subscription is disabled; enable it first", "该订阅已停用，请先启用"),
    "webhook.not_found": _p("Webhook subscription not found", "未找到 Webhook 订阅"),
    "webhook.unknown_event_type": _p("No such event type", "没有此事件类型"),
    "webhook.url_refused": _p("Webhook URL refused", "Webhook 地址被拒绝"),
    # ---- complaints (顾客抱怨 / 投诉) ----
    "complaint.already_refunded": _p(
        "This complaint already refunded against that receivable (one credit note each)",
        "此投诉已对该应收款退过款（同一投诉对每笔应收款只开一张红字冲销单）",
        "已对应收款 {receivable_id} 退款。"),
    "complaint.forbidden": _p(
        "Your role may read this complaint but not do that to it", "您的角色可以查看此投诉，但不能执行此操作"),
    "complaint.not_found": _p("Complaint not found", "未找到投诉"),
    "complaint.not_remediable": _p(
        "Remedies are recorded while a settlement is negotiated or corrective actions "
        "are implemented or verified",
        "只有在协商处理中、纠正措施实施中或效果验证中才能登记补救措施", "投诉当前为{current_status}。"),
    "complaint.remedy_target_missing": _p(
        "A return needs the complaint's delivery and its lines; a refund needs a "
        "receivable of the complaint's customer",
        "退货须有投诉关联的发货单及其行项目；退款须指定该投诉客户的应收款"),
    "complaint.review_incomplete": _p(
        "An accepted review needs the explanation (not the company's fault) or the "
        "nonconformity report (the company's fault)",
        "审核通过须附对客户的解释说明（非本公司责任）或不合格报告（本公司责任）"),
    "complaint.settlement_required": _p(
        "Closing a negotiated complaint needs the agreed settlement", "关闭协商中的投诉须填写双方达成的处理结果"),
    "complaint.unknown_customer": _p(
        "The customer does not exist or is not yours", "客户不存在或不归您负责"),
    "complaint.unknown_department": _p("No such department", "没有此部门"),
    "complaint.unknown_document": _p(
        "The order or delivery does not exist, is not yours, or is not the customer's",
        "订单或发货单不存在、不归您负责或不属于该客户"),
    # ---- customer visits (客户拜访) ----
    "visit.forbidden": _p(
        "Your role may read this visit but not do that to it", "您的角色可以查看此拜访，但不能执行此操作"),
    "visit.locked": _p(
        "The visit is locked: only a draft or a rejected request is edited",
        "拜访申请已锁定：只能修改草稿或被驳回的申请", "拜访申请当前为{status_now}。"),
    "visit.not_found": _p("Visit not found", "未找到客户拜访"),
    "visit.not_yet_held": _p(
        "A visit is reported on only once its planned time has come", "拜访计划时间到达后才能提交拜访报告",
        "拜访计划于 {planned_at} 进行。"),
    "visit.time_in_past": _p(
        "A visit is requested for a time still to come", "拜访时间须晚于当前时间",
        "计划时间 {planned_at} 已过。"),
    "visit.unknown_customer": _p(
        "The customer does not exist or is not yours", "客户不存在或不归您负责"),
    # ---- lists (sorting, cursors) ----
    "pagination.cursor_sort_mismatch": _p(
        "The cursor was made for another sort", "该分页游标属于另一种排序",
        "更改排序后，请不带游标从第一页重新读取。"),
}

# The labels of `allowed_actions` codes (every document's read lists what the caller may do).
ACTIONS: dict[str, Text] = {
    "accept": Text("Accept", "接受"),
    "acknowledge": Text("Acknowledge", "确认目标"),
    "allocate": Text("Allocate targets", "分解目标"),
    "amend": Text("Amend", "变更"),
    "approve": Text("Approve", "批准"),
    "assign": Text("Assign", "分配"),
    "cancel": Text("Cancel", "取消"),
    "close": Text("Close", "关闭"),
    "complete_measure": Text("Complete measure", "完成改进措施"),
    "contact": Text("Record contact", "记录联系"),
    "convert": Text("Convert", "转化"),
    "create_contract": Text("Create contract", "生成合同"),
    "decline": Text("Decline", "拒绝"),
    "deliver": Text("Confirm receipt", "确认签收"),
    "disqualify": Text("Disqualify", "判定无效"),
    "credit": Text("Credit", "红字冲销"),
    "dunning": Text("Dun", "催款"),
    "lose": Text("Mark lost", "丢单"),
    "move_stage": Text("Move stage", "推进阶段"),
    "pay": Text("Record payment", "登记回款"),
    "qualify": Text("Qualify", "确认合格"),
    "recall": Text("Recall", "撤回"),
    "recall_proposal": Text("Recall proposal", "撤回方案"),
    "recall_termination": Text("Recall termination", "撤回终止"),
    "record_expense": Text("Record expense", "登记费用"),
    "reject": Text("Reject", "驳回"),
    "request_override": Text("Request override", "申请超预算特批"),
    "return": Text("Record return", "登记退货"),
    "revise": Text("Revise", "修订"),
    "schedule": Text("Schedule delivery", "安排交期"),
    "send": Text("Send", "发送"),
    "ship": Text("Ship", "发货"),
    "sign": Text("Sign", "签订"),
    "submit": Text("Submit", "提交"),
    "submit_proposal": Text("Submit proposal", "提交方案"),
    "terminate": Text("Terminate", "终止"),
    "update": Text("Edit", "编辑"),
    "win": Text("Mark won", "赢单"),
    "write_off": Text("Write off", "核销"),
    # ---- complaints ----
    "capa": Text("Draft corrective actions", "制定纠正预防措施"),
    "determination": Text("Determine responsibility", "责任判定"),
    "feedback": Text("Give feedback", "反馈客户"),
    "negotiation": Text("Negotiate", "协商处理"),
    "remedies": Text("Record remedy", "登记补救措施"),
    "review": Text("Review", "审核"),
    "tracking": Text("Record progress", "登记跟踪记录"),
    "verification": Text("Verify effectiveness", "验证效果"),
    # ---- customer visits ----
    "report": Text("File visit report", "提交拜访报告"),
}

# The labels of every status and stage value (documents, approvals, webhook deliveries).
STATES: dict[str, Text] = {
    "accepted": Text("Accepted", "已接受"),
    "active": Text("Active", "审批中"),
    "approved": Text("Approved", "已批准"),
    "cancelled": Text("Cancelled", "已取消"),
    "closed": Text("Closed", "已关闭"),
    "completed": Text("Completed", "已完成"),
    "confirmed": Text("Confirmed", "已确认"),
    "contacted": Text("Contacted", "已联系"),
    "converted": Text("Converted", "已转化"),
    "credit_hold": Text("Credit hold", "信用冻结"),
    "declined": Text("Declined", "已拒绝"),
    "delivered": Text("Delivered", "已签收"),
    "disqualified": Text("Disqualified", "无效"),
    "draft": Text("Draft", "草稿"),
    "expired": Text("Expired", "已过期"),
    "failed": Text("Failed", "失败"),
    "lost": Text("Lost", "丢单"),
    "needs_analysis": Text("Needs analysis", "需求分析"),
    "negotiation": Text("Negotiation", "商务谈判"),
    "new": Text("New", "新建"),
    "open": Text("Open", "未收款"),
    "paid": Text("Paid", "已收清"),
    "partially_delivered": Text("Partially delivered", "部分发货"),
    "partially_paid": Text("Partially paid", "部分收款"),
    "pending": Text("Pending", "待处理"),
    "pending_approval": Text("Pending approval", "待审批"),
    "pending_review": Text("Pending review", "待审核"),
    "pending_write_off": Text("Write-off pending", "核销审批中"),
    "planned": Text("Planned", "已计划"),
    "proposal": Text("Proposal", "方案"),
    "qualification": Text("Qualification", "资格确认"),
    "qualified": Text("Qualified", "已确认合格"),
    "recalled": Text("Recalled", "已撤回"),
    "rejected": Text("Rejected", "已驳回"),
    "sending": Text("Sending", "发送中"),
    "sent": Text("Sent", "已发送"),
    "shipped": Text("Shipped", "已发货"),
    "signed": Text("Signed", "已签订"),
    "superseded": Text("Superseded", "已被取代"),
    "terminated": Text("Terminated", "已终止"),
    "voided": Text("Voided", "已作废"),
    "waiting": Text("Waiting", "等待中"),
    "won": Text("Won", "赢单"),
    "written_off": Text("Written off", "已核销"),
    # ---- complaints ----
    "received": Text("Received", "已接收"),
    "investigating": Text("Investigating", "调查中"),
    "under_review": Text("Under review", "责任审核中"),
    "explained": Text("Explained", "已解释说明"),
    "negotiating": Text("Negotiating", "协商中"),
    "corrective_action": Text("Corrective action", "纠正预防措施制定中"),
    "capa_review": Text("Corrective actions in approval", "纠正预防措施审批中"),
    "implementing": Text("Implementing", "措施实施中"),
    "verifying": Text("Verifying", "效果验证中"),
    "verified": Text("Verified", "已验证有效"),
    "feedback_given": Text("Feedback given", "已反馈客户"),
    # ---- customer visits ----
    "in_review": Text("In review", "审批中"),
    "reported": Text("Reported", "已提交报告"),
}

# The labels of document and record types: an approval's `document_type`, an audit entry's
# `entity_type`, a timeline entry's `kind` (in files; an unknown one shows its code).
DOCUMENT_TYPES: dict[str, Text] = {
    "approval_policy": Text("Approval policy", "审批策略"),
    "approval_request": Text("Approval request", "审批申请"),
    "calendar_day": Text("Calendar day", "工作日历"),
    "complaint": Text("Complaint", "客户投诉"),
    "contract": Text("Contract", "合同"),
    "contract_termination": Text("Contract termination", "合同终止"),
    "corrective_action": Text("Corrective actions", "纠正预防措施"),
    "customer": Text("Customer", "客户"),
    "customer_visit": Text("Customer visit", "客户拜访"),
    "delegation": Text("Delegation", "审批委托"),
    "delivery": Text("Delivery", "发货单"),
    "department": Text("Department", "部门"),
    "deviation_analysis": Text("Deviation analysis", "偏差分析"),
    "expense_budget": Text("Expense budget", "费用预算"),
    "expense_override": Text("Budget override", "超预算特批"),
    "growth_target": Text("Growth target", "增长目标"),
    "lead": Text("Lead", "线索"),
    "opportunity": Text("Opportunity", "商机"),
    "opportunity_proposal": Text("Opportunity proposal", "商机方案"),
    "order": Text("Order", "订单"),
    "payment": Text("Payment", "收款"),
    "product": Text("Product", "产品"),
    "quote": Text("Quote", "报价单"),
    "receivable": Text("Receivable", "应收款"),
    "receivable_write_off": Text("Write-off", "应收核销"),
    "sales_order": Text("Sales order", "销售订单"),
    "sales_plan": Text("Sales plan", "销售计划"),
    "sales_target": Text("Sales target", "业绩目标"),
    "visit": Text("Customer visit", "客户拜访"),
    "webhook_delivery": Text("Webhook delivery", "Webhook 投递"),
    "webhook_subscription": Text("Webhook subscription", "Webhook 订阅"),
}

# The categories of a sales expense budget (`category` of budget items, expenses and
# overrides: app/budgets/models.py ExpenseCategory).
EXPENSE_CATEGORIES: dict[str, Text] = {
    "travel": Text("Travel", "差旅费"),
    "office": Text("Office", "办公费"),
    "depreciation": Text("Depreciation", "折旧费"),
    "phone": Text("Telephone", "电话费"),
    "commission": Text("Commission", "佣金"),
    "advertising": Text("Advertising", "广告费"),
    "exhibition": Text("Exhibitions", "展览费"),
    "other": Text("Other", "其他"),
}

ROLES: dict[str, Text] = {
    "sales_rep": Text("Sales rep", "业务员"),
    "dept_head": Text("Department head", "部门负责人"),
    "deputy_gm": Text("Deputy GM", "分管副总经理"),
    "gm": Text("General manager", "总经理"),
    "board": Text("Board", "董事会"),
    "finance": Text("Finance", "财务部"),
    "legal": Text("Legal", "法务"),
    "logistics": Text("Logistics", "物流"),
    "customer_service": Text("Customer service", "客服"),
    "quality": Text("Quality", "品管"),
    "auditor": Text("Auditor", "稽核"),
    "admin": Text("Administrator", "系统管理员"),
    "integration": Text("Integration account", "系统集成账号"),
}

# The flags a policy stage may apply under (`when`).
CONDITIONS: dict[str, Text] = {
    "always": Text("always", "始终"),
    "major_interest": Text("major interest", "重大利益"),
    "credit_hold": Text("credit hold", "信用冻结"),
    "key_customer": Text("key customer", "重点客户"),
}

# The names the default approval policy gives its stages (app/approvals/policy.py). A
# policy's stage whose name is one of these reads as its label; a name of a policy's own
# stays as written. Cumulative tiers number the tiered stage (`authority_2`): STAGE_TIER.
STAGES: dict[str, Text] = {
    "review": Text("Review", "会审"),
    "authority": Text("Approval within authority", "分级审批"),
    "board": Text("Board approval", "董事会审批"),
    "department": Text("Department manager approval", "部门经理审批"),
    "senior_review": Text("Deputy GM review", "分管副总审核"),
    "general_manager": Text("General manager approval", "总经理审批"),
    "finance": Text("Finance review", "财务审核"),
    "credit_release": Text("Credit release", "信用放行审批"),
    "discount": Text("Discount approval", "折扣审批"),
    "key_customer": Text("Key customer approval", "重点客户审批"),
    "expert_review": Text("Expert group review", "专家组评审"),
}
STAGE_TIER = Text("{stage} (tier {tier})", "{stage}（第 {tier} 级）")

# Approval rules that fired when a chain was resolved (`fired_rules[].code`). Their
# parameters are rendered first (app/approvals/rules.py): amounts with thousands
# separators, `bound` from `low`/`high`, roles and conditions as labels in Chinese.
RULES: dict[str, Text] = {
    "stage.skipped": Text("stage '{stage}' skipped: applies only when '{when}' is set",
                          "跳过阶段“{stage}”：仅在“{when}”时适用"),
    "stage.added": Text("stage '{stage}' added: '{when}' is set",
                        "增加阶段“{stage}”：满足“{when}”"),
    "band.none": Text("the policy has no discount bands: no discount approval",
                      "审批策略未设折扣档：无需折扣审批"),
    "band.below_floor": Text(
        "a line is priced below its product's floor price: {role} approves, as for a "
        "discount above every band",
        "有行项目低于产品最低价：由{role}审批，视同折扣超出所有档位"),
    "band.within_authority": Text(
        "discount {percent} % is within the rep's authority ({bound})",
        "折扣 {percent} % 在销售代表权限内（{bound}）"),
    "band.selected": Text(
        "discount {percent} % is in band {band} ({bound}): {role} approves",
        "折扣 {percent} % 属于第 {band} 档（{bound}）：由{role}审批"),
    "tier.selected": Text(
        "amount {amount} is in tier {tier} ({bound}): {role} approves",
        "金额 {amount} 属于第 {tier} 级（{bound}）：由{role}审批"),
    "tier.cumulative": Text(
        "cumulative tiers: tier {tier} signs before tier {reached} ({bound}): {role} approves",
        "逐级审批：第 {tier} 级先于第 {reached} 级签批（{bound}）：由{role}审批"),
    # A rule recorded before rules had codes: its English sentence, as it was stored.
    "legacy": Text("{text}", "{text}"),
}
# How a tier's or band's range reads, in `{bound}`.
BOUNDS: dict[str, Text] = {
    "up_to": Text("≤ {high}", "≤ {high}"),
    "above": Text("> {low}", "> {low}"),
    "between": Text("> {low} and ≤ {high}", "> {low} 且 ≤ {high}"),
}
NO_ONE = Text("no one", "无人")

# Chinese messages for pydantic's validation error types (`errors[].msg`), over the
# error's context (`{ge}`, `{max_length}`, …); English keeps pydantic's own message.
VALIDATION: dict[str, str] = {
    "missing": "缺少此字段",
    "extra_forbidden": "不允许此字段",
    "json_invalid": "JSON 格式错误",
    "json_type": "须为 JSON",
    "string_type": "须为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求（{pattern}）",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数，不能有小数部分",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "decimal_type": "须为数字或数字字符串",
    "decimal_parsing": "须为数字",
    "decimal_max_digits": "总位数不得超过 {max_digits} 位",
    "decimal_max_places": "小数位数不得超过 {decimal_places} 位",
    "decimal_whole_digits": "整数部分不得超过 {whole_digits} 位",
    "bool_type": "须为布尔值",
    "bool_parsing": "须为布尔值（true 或 false）",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须大于或等于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须小于或等于 {le}",
    "multiple_of": "须为 {multiple_of} 的倍数",
    "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}",
    "date_type": "须为日期",
    "date_parsing": "须为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "须为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_inexact": "须为日期，不能带时间",
    "datetime_type": "须为时间",
    "datetime_parsing": "须为 RFC 3339 格式的时间",
    "datetime_from_date_parsing": "须为 RFC 3339 格式的时间",
    "timezone_aware": "须带时区",
    "list_type": "须为数组",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "set_type": "须为数组",
    "uuid_type": "须为 UUID",
    "uuid_parsing": "须为 UUID",
    "url_type": "须为网址",
    "url_parsing": "须为有效的网址",
    "url_scheme": "网址协议须为 {expected_schemes}",
    "value_error": "取值无效：{error}",
    "assertion_error": "取值无效：{error}",
    "unknown_parameter": "未知参数",
    "unknown_column": "未知或重复的列",
    "sort_invalid": ("排序字段 {field} 无效或重复：可按 {allowed} 排序，以逗号分隔，"
                     "每个字段至多一次，降序在字段前加 -"),
    "union_tag_invalid": "类型标记无效，须为以下之一：{expected_tags}",
    "union_tag_not_found": "缺少类型标记 {discriminator}",
}


def format_value(value: Any, language: Language) -> str:
    """One member as text in a message: states as their labels (Chinese), lists joined."""
    if value is None:
        return "—" if language == "zh-CN" else "none"
    if isinstance(value, (list, tuple)):
        if not value:
            return "无" if language == "zh-CN" else "none"
        separator = "、" if language == "zh-CN" else ", "
        return separator.join(format_value(item, language) for item in value)
    if isinstance(value, dict) and "loc" in value:  # one of a problem's `errors`
        return str(value["loc"][-1]) if value["loc"] else ""
    if isinstance(value, str) and language == "zh-CN" and value in STATES:
        return STATES[value].zh
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def fill(template: str, members: dict[str, Any], language: Language) -> str | None:
    """The template with the members it names, or None when one of them is missing."""
    try:
        return template.format_map(_Members(members, language))
    except (KeyError, IndexError, ValueError):
        return None


class _Members(dict[str, str]):
    def __init__(self, members: dict[str, Any], language: Language) -> None:
        super().__init__()
        self._members, self._language = members, language

    def __missing__(self, key: str) -> str:
        if key not in self._members:
            raise KeyError(key)
        return format_value(self._members[key], self._language)


def problem_text(code: str, members: dict[str, Any], language: Language, *, title: str,
                 detail: str) -> tuple[str, str]:
    """A problem's title and detail in `language`. English keeps what was raised (`title`,
    `detail`); Chinese comes from the catalogue, the detail from the first template whose
    members are all there, else the Chinese title. A code missing from the catalogue (a
    test forbids it) answers as raised."""
    entry = PROBLEMS.get(code)
    if language == "en" or entry is None:
        return title, detail
    for template in entry.zh_details:
        text = fill(template, members, language)
        if text is not None:
            return entry.title.zh, text
    return entry.title.zh, entry.title.zh


def validation_message(error_type: str | None, context: dict[str, Any] | None,
                       english: str, language: Language) -> str:
    """One validation error's `msg`: pydantic's in English, the catalogue's in Chinese."""
    if language == "en" or error_type is None or error_type not in VALIDATION:
        return english
    members = {key: _context_value(value) for key, value in (context or {}).items()}
    return fill(VALIDATION[error_type], members, language) or english


def _context_value(value: Any) -> Any:
    # pydantic puts the raised exception in `error` for value errors; its text is the message.
    return str(value) if isinstance(value, BaseException) else value


def catalogue(language: Language) -> dict[str, Any]:
    """Every label and template in one language: what a UI needs to render codes."""
    return {
        "language": language,
        "problems": {code: {"title": entry.title(language),
                            "details": list(entry.zh_details) if language == "zh-CN" else []}
                     for code, entry in sorted(PROBLEMS.items())},
        "actions": {code: text(language) for code, text in sorted(ACTIONS.items())},
        "states": {code: text(language) for code, text in sorted(STATES.items())},
        "roles": {code: text(language) for code, text in sorted(ROLES.items())},
        "expense_categories": {code: text(language)
                               for code, text in EXPENSE_CATEGORIES.items()},
        "conditions": {code: text(language) for code, text in sorted(CONDITIONS.items())},
        "stages": {code: text(language) for code, text in sorted(STAGES.items())},
        "stage_tier": STAGE_TIER(language),
        "rules": {code: text(language) for code, text in sorted(RULES.items())},
        "bounds": {code: text(language) for code, text in sorted(BOUNDS.items())},
        "validation": dict(sorted(VALIDATION.items())) if language == "zh-CN" else {},
    }
