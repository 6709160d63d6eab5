//! The checked IR to Cranelift IR: one function per definition and one batch kernel.
//!
//! A definition's function takes the context pointer and one row index per entity on the
//! schema path from the root to the definition's entity, and returns `(value, failed)`.
//! On failure it has already written the error (kind, the innermost definition, and what
//! a message needs) into the context, and every caller returns at once: the first error
//! reached wins, as in the interpreter. Evaluation is lazy in the same places as the
//! interpreter (`and`, `or`, `if`, exceptions, aggregate filters, `any`/`all`), and every
//! operation that can fail is checked: inline for `+ − ×` (`*_overflow` and a branch),
//! through the `bylaw_rt_*` helpers for everything that rounds or divides. Nothing traps.
//!
//! All values are `i64`: numbers as scaled, booleans 0/1, dates as day numbers, variants
//! as indexes, texts as order codes (see [`crate::layout::Interned`]).

mod exact;
mod fast;
mod history;
mod kernel;

pub use kernel::output_width;

use std::collections::{BTreeSet, HashMap};
use std::mem::offset_of;
use std::sync::Arc;

use bylaw_compiler::exact::Pending;
use bylaw_compiler::interp::{InForce, ParamAtDate};
use bylaw_compiler::ir::{
    Builtin, CalendarId, CmpOp, DefId, ExprId, Node, ParamId, Program, ScaleVersion, Value,
};
use bylaw_compiler::types::ArithOp;
use bylaw_grammar::ast::AggFn;
use bylaw_runtime::arith::{FEN, MICRO};
use bylaw_runtime::schema::{ColumnType, EntityId};
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, FuncRef, InstBuilder, MemFlagsData, Signature, UserFuncName, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};

use crate::CodegenError;
use crate::layout::{
    ColumnView, ERR_BELOW_BRACKET, ERR_MISSING_PARAM, ERR_NO_VERSION, ERR_OVERFLOW, ERR_SCALE_NONE,
    ErrorRecord, KernelCtx, Slots,
};
use bylaw_runtime::native::helpers::Helper;

/// How many expression nodes the kernel may hold before definitions stop being
/// inlined into it (they are called instead): bounds code size when a definition is
/// used on many lazy paths.
const INLINE_BUDGET: usize = 20_000;

const I64: types::Type = types::I64;

/// A value of a keyed parameter's table, before text constants get their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableCell {
    Absent,
    Int(i64),
    Text(usize),
}

/// What the translation decided that the run needs: text constants, text columns read,
/// and the keyed parameters' tables.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub texts: Vec<Arc<str>>,
    pub text_columns: BTreeSet<usize>,
    pub tables: Vec<TableCell>,
}

/// What an aggregate computes over one relation's rows (the parts of
/// `Node::Aggregate` after its rows are found).
#[derive(Clone, Copy)]
struct Over {
    function: AggFn,
    child: EntityId,
    body: Option<ExprId>,
    filter: Option<ExprId>,
    default: Option<ExprId>,
}

/// Child rows an aggregate of values that cannot fail takes per iteration
/// (`aggregate_groups`).
const GROUP: i64 = 4;

/// The program prepared for one date: versions, parameters and scales chosen.
pub struct Plan<'p> {
    program: &'p Program,
    slots: Slots,
    bodies: Vec<Option<ExprId>>,
    params: Vec<ParamAtDate>,
    scales: Vec<Option<&'p ScaleVersion>>,
    /// Per entity: the entities from the root down to it.
    paths: Vec<Vec<EntityId>>,
    /// `(relation slot, column slot)` of every `sum(rel: x)` of the root over a number
    /// field of the child: the kernel computes their prefix sums once per call.
    prefix_sites: Vec<(usize, usize)>,
    /// Which expressions may hold an exact quotient not yet rounded (see [`exact`]).
    pending: Pending,
    /// The evaluation date, a constant of the compiled code (`evaluation_date`).
    date: i32,
}

impl<'p> Plan<'p> {
    pub fn new(program: &'p Program, date: i32) -> Result<Plan<'p>, CodegenError> {
        let InForce {
            params,
            bodies,
            scales,
        } = InForce::new(program, date);
        let pending = Pending::of(program);
        let schema = &program.schema;
        let mut paths = Vec::new();
        for (i, _) in schema.entities.iter().enumerate() {
            let mut path = vec![EntityId(i as u32)];
            let mut at = EntityId(i as u32);
            while let Some(parent) = schema.entity(at).and_then(|e| e.parent) {
                path.push(parent);
                at = parent;
                if path.len() > schema.entities.len() {
                    return Err(CodegenError::Unsupported(
                        "the schema's parent links form a cycle".into(),
                    ));
                }
            }
            path.reverse();
            paths.push(path);
        }
        let slots = Slots::new(schema);
        let mut prefix_sites = Vec::new();
        for node in &program.nodes {
            if let Some(key) = prefix_key(program, &slots, node)
                && !prefix_sites.contains(&key)
            {
                prefix_sites.push(key);
            }
        }
        Ok(Plan {
            program,
            slots,
            bodies,
            params,
            scales,
            paths,
            prefix_sites,
            pending,
            date,
        })
    }

    pub fn slots(&self) -> &Slots {
        &self.slots
    }

    fn path(&self, entity: EntityId) -> &[EntityId] {
        self.paths.get(entity.0 as usize).map_or(&[], Vec::as_slice)
    }
}

/// The `(relation slot, column slot)` of an aggregate that sums a number field of the
/// root's children with no filter (`sum(members: income)`): a prefix-sum site.
fn prefix_key(program: &Program, slots: &Slots, node: &Node) -> Option<(usize, usize)> {
    let Node::Aggregate {
        function: AggFn::Sum,
        owner,
        relation,
        child,
        body: Some(b),
        filter: None,
        ..
    } = node
    else {
        return None;
    };
    match program.nodes.get(b.index()) {
        Some(Node::Field { entity, field }) if *owner == program.schema.root && entity == child => {
            Some((
                slots.relation(owner.0 as usize, *relation),
                slots.column(child.0 as usize, field.0 as usize),
            ))
        }
        _ => None,
    }
}

/// The functions of one compiled policy.
pub struct Declared {
    pub kernel: FuncId,
    pub needs: Needs,
}

/// Declares and defines every function of `plan` in `module`; the kernel gets the
/// symbol `kernel_name` with `linkage`, the definitions local `bylaw_def_*` symbols.
pub(crate) fn translate<M: Module>(
    module: &mut M,
    plan: &Plan,
    kernel_name: &str,
    linkage: Linkage,
) -> Result<Declared, CodegenError> {
    let program = plan.program;
    let ptr = module.target_config().pointer_type();
    let mut helpers = HashMap::new();
    for h in Helper::ALL {
        let spec = h.spec();
        let mut sig = module.make_signature();
        for i in 0..spec.args {
            let ty = if spec.mode_arg && i == 2 {
                types::I32
            } else {
                I64
            };
            sig.params.push(AbiParam::new(ty));
        }
        if spec.fallible {
            sig.params.push(AbiParam::new(ptr));
        }
        if spec.den_out {
            sig.params.push(AbiParam::new(ptr));
        }
        sig.returns.push(AbiParam::new(I64));
        helpers.insert(*h, sig);
    }
    let mut defs = Vec::new();
    for (i, d) in program.defs.iter().enumerate() {
        let sig = def_signature(module, plan.path(d.entity).len());
        let id = module
            .declare_function(&format!("bylaw_def_{i}"), Linkage::Local, &sig)
            .map_err(CodegenError::module)?;
        defs.push(id);
    }
    // A definition that may hold an exact quotient also gets a function returning its
    // numerator (the denominator in `KernelCtx::den`), unrounded.
    let mut exact_defs = Vec::new();
    for (i, d) in program.defs.iter().enumerate() {
        if !plan.pending.def(DefId(i as u32)) {
            exact_defs.push(None);
            continue;
        }
        let sig = def_signature(module, plan.path(d.entity).len());
        let id = module
            .declare_function(&format!("bylaw_def_{i}_exact"), Linkage::Local, &sig)
            .map_err(CodegenError::module)?;
        exact_defs.push(Some(id));
    }
    let mut kernel_sig = module.make_signature();
    for ty in [ptr, I64, I64, ptr, ptr] {
        kernel_sig.params.push(AbiParam::new(ty));
    }
    let kernel = module
        .declare_function(kernel_name, linkage, &kernel_sig)
        .map_err(CodegenError::module)?;

    let reciprocals = define_reciprocals(module)?;
    let calendars = define_calendars(module, program)?;
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let mut needs = Needs::default();
    let mut keyed_tables: HashMap<ParamId, (usize, bool)> = HashMap::new();
    let mut shared = Shared {
        plan,
        ptr,
        helpers: &helpers,
        defs: &defs,
        exact_defs: &exact_defs,
        needs: &mut needs,
        keyed_tables: &mut keyed_tables,
        reciprocals,
        calendars: &calendars,
    };
    for (i, d) in program.defs.iter().enumerate() {
        let Some(&id) = defs.get(i) else { continue };
        ctx.func.signature = def_signature(module, plan.path(d.entity).len());
        shared.define(module, &mut ctx, &mut fctx, id, DefId(i as u32), |t| {
            t.def_body()
        })?;
    }
    for (i, d) in program.defs.iter().enumerate() {
        let Some(&Some(id)) = exact_defs.get(i) else {
            continue;
        };
        ctx.func.signature = def_signature(module, plan.path(d.entity).len());
        shared.define(module, &mut ctx, &mut fctx, id, DefId(i as u32), |t| {
            t.exact_def_body()
        })?;
    }
    ctx.func.signature = kernel_sig;
    shared.define(module, &mut ctx, &mut fctx, kernel, DefId(0), |t| {
        t.kernel_body()
    })?;
    Ok(Declared { kernel, needs })
}

/// What every function of one translation shares.
struct Shared<'a, 'p> {
    plan: &'a Plan<'p>,
    ptr: types::Type,
    helpers: &'a HashMap<Helper, Signature>,
    defs: &'a [FuncId],
    exact_defs: &'a [Option<FuncId>],
    needs: &'a mut Needs,
    keyed_tables: &'a mut HashMap<ParamId, (usize, bool)>,
    reciprocals: DataId,
    calendars: &'a [DataId],
}

impl Shared<'_, '_> {
    /// Builds function `id` (signature already in `ctx`) with `body`, then defines it.
    fn define<M: Module>(
        &mut self,
        module: &mut M,
        ctx: &mut cranelift_codegen::Context,
        fctx: &mut FunctionBuilderContext,
        id: FuncId,
        def: DefId,
        body: impl FnOnce(&mut Fn<'_, '_, M>) -> Result<(), CodegenError>,
    ) -> Result<(), CodegenError> {
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        {
            let b = FunctionBuilder::new(&mut ctx.func, fctx);
            let mut t = Fn {
                b,
                module: &mut *module,
                plan: self.plan,
                ptr: self.ptr,
                helpers: self.helpers,
                defs: self.defs,
                exact_defs: self.exact_defs,
                refs: HashMap::new(),
                ctx: None,
                def,
                err_block: None,
                prop_block: None,
                needs: &mut *self.needs,
                keyed_tables: &mut *self.keyed_tables,
                hoisted: None,
                known: Vec::new(),
                emitted: 0,
                reciprocals: self.reciprocals,
                calendars: self.calendars,
                speculating: None,
            };
            body(&mut t)?;
            t.finish();
            t.b.seal_all_blocks();
            t.b.finalize(module.target_config());
        }
        module
            .define_function(id, ctx)
            .map_err(|e| CodegenError::Module(format!("{e:?}")))?;
        module.clear_context(ctx);
        Ok(())
    }
}

/// The module's table of reciprocals of counts (`fast::reciprocal`): per count, the
/// multiplier and the shift, as `u64`s.
fn define_reciprocals<M: Module>(module: &mut M) -> Result<DataId, CodegenError> {
    let id = module
        .declare_data("bylaw_reciprocals", Linkage::Local, false, false)
        .map_err(CodegenError::module)?;
    let mut bytes = Vec::with_capacity(fast::RECIPROCALS * 16);
    for d in 1..=fast::RECIPROCALS as u64 {
        let (m, shift) = fast::reciprocal(d);
        bytes.extend(m.to_le_bytes());
        bytes.extend(shift.to_le_bytes());
    }
    let mut data = DataDescription::new();
    data.define(bytes.into_boxed_slice());
    data.set_align(16);
    module
        .define_data(id, &data)
        .map_err(CodegenError::module)?;
    Ok(id)
}

/// Each calendar's table (`workdays::encode`, as the interpreter counts over it), as
/// little-endian `i64`s in the module, passed to the working-day helpers.
fn define_calendars<M: Module>(
    module: &mut M,
    program: &Program,
) -> Result<Vec<DataId>, CodegenError> {
    let mut ids = Vec::new();
    for (i, c) in program.calendars.iter().enumerate() {
        let id = module
            .declare_data(&format!("bylaw_calendar_{i}"), Linkage::Local, false, false)
            .map_err(CodegenError::module)?;
        let bytes: Vec<u8> = c.table.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut data = DataDescription::new();
        data.define(bytes.into_boxed_slice());
        data.set_align(8);
        module
            .define_data(id, &data)
            .map_err(CodegenError::module)?;
        ids.push(id);
    }
    Ok(ids)
}

fn def_signature<M: Module>(module: &M, rows: usize) -> Signature {
    let mut sig = module.make_signature();
    sig.params
        .push(AbiParam::new(module.target_config().pointer_type()));
    for _ in 0..rows {
        sig.params.push(AbiParam::new(I64));
    }
    sig.returns.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I64));
    sig
}

fn off(offset: usize) -> i32 {
    offset as i32
}

fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags of a load from an input column or offsets array: never traps (the batch was
/// checked, and rows index within it), and the data do not change while a kernel runs,
/// so Cranelift may merge repeated loads and move them out of loops.
fn column_flags() -> MemFlagsData {
    trusted().with_readonly().with_can_move()
}

fn args(values: &[Val]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

/// The rows in reach: innermost last, as in the interpreter's frame.
type Frame = Vec<(EntityId, Val)>;

/// One function being built.
struct Fn<'a, 'f, M: Module> {
    b: FunctionBuilder<'f>,
    module: &'a mut M,
    plan: &'a Plan<'a>,
    ptr: types::Type,
    /// Each helper's signature; helpers are called through `KernelCtx::helpers`.
    helpers: &'a HashMap<Helper, Signature>,
    defs: &'a [FuncId],
    /// Per definition that may hold an exact quotient: its unrounded function.
    exact_defs: &'a [Option<FuncId>],
    refs: HashMap<FuncId, FuncRef>,
    ctx: Option<Val>,
    def: DefId,
    /// Block params: kind, aux, arg, definition. Records the error and returns (in the
    /// kernel: records the row's failure and goes on with the next row).
    err_block: Option<Block>,
    /// Returns "failed" without writing: a callee has recorded the error.
    prop_block: Option<Block>,
    needs: &'a mut Needs,
    keyed_tables: &'a mut HashMap<ParamId, (usize, bool)>,
    /// In the kernel: pointers loaded once, before the row loop.
    hoisted: Option<kernel::Hoisted>,
    /// In the kernel: root definitions already computed for the current row on every
    /// path to the instruction being built (a stack, cut back when a lazy branch ends).
    known: Vec<(DefId, Val)>,
    /// Expression nodes translated so far (see [`INLINE_BUDGET`]).
    emitted: usize,
    /// The table of `fast::reciprocal` for counts 1 to `fast::RECIPROCALS`.
    reciprocals: DataId,
    /// Each calendar's table ([`define_calendars`]).
    calendars: &'a [DataId],
    /// While both sides of an `if` are built without branches (`speculable`): the
    /// flag (`i8`) a failure sets instead of leaving for the error block.
    speculating: Option<Variable>,
}

impl<M: Module> Fn<'_, '_, M> {
    fn ctx(&self) -> Result<Val, CodegenError> {
        self.ctx
            .ok_or_else(|| CodegenError::Unsupported("internal: no context".into()))
    }

    /// The address of the reciprocal table.
    /// The address of calendar `c`'s table in the module, as an `i64`.
    fn calendar_table(&mut self, c: CalendarId) -> Result<Val, CodegenError> {
        let id = *self
            .calendars
            .get(c.index())
            .ok_or_else(|| CodegenError::Unsupported("internal: calendar".into()))?;
        let gv = self.module.declare_data_in_func(id, self.b.func);
        Ok(self.b.ins().symbol_value(self.ptr, gv))
    }

    fn reciprocals(&mut self) -> Result<Val, CodegenError> {
        let gv = self
            .module
            .declare_data_in_func(self.reciprocals, self.b.func);
        Ok(self.b.ins().symbol_value(self.ptr, gv))
    }

    fn iconst(&mut self, v: i64) -> Val {
        self.b.ins().iconst(I64, v)
    }

    fn func_ref(&mut self, id: FuncId) -> FuncRef {
        if let Some(r) = self.refs.get(&id) {
            return *r;
        }
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.refs.insert(id, r);
        r
    }

    fn def_body(&mut self) -> Result<(), CodegenError> {
        let program = self.plan.program;
        let def = program.def(self.def);
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let params = self.b.block_params(entry).to_vec();
        let ctx = *params
            .first()
            .ok_or_else(|| CodegenError::Unsupported("internal: no context".into()))?;
        self.ctx = Some(ctx);
        let path = self.plan.path(def.entity).to_vec();
        let mut frame: Frame = path
            .iter()
            .zip(params.iter().skip(1))
            .map(|(e, v)| (*e, *v))
            .collect();
        let memoize = def.entity == program.schema.root;
        let index = i64::from(self.def.0) * 8;
        let mut tag = None;
        if memoize {
            let row = frame.first().map(|(_, r)| *r).ok_or_else(|| {
                CodegenError::Unsupported("internal: a root definition without a row".into())
            })?;
            let one = self.iconst(1);
            let t = self.b.ins().iadd(row, one);
            let tags = self.b.ins().load(
                self.ptr,
                trusted(),
                ctx,
                off(offset_of!(KernelCtx, memo_tags)),
            );
            let idx = self.iconst(index);
            let tag_addr = self.b.ins().iadd(tags, idx);
            let stored = self.b.ins().load(I64, trusted(), tag_addr, 0);
            let hit = self.b.ins().icmp(IntCC::Equal, stored, t);
            let hit_block = self.b.create_block();
            let miss_block = self.b.create_block();
            self.b.ins().brif(hit, hit_block, &[], miss_block, &[]);
            self.b.switch_to_block(hit_block);
            let values = self.b.ins().load(
                self.ptr,
                trusted(),
                ctx,
                off(offset_of!(KernelCtx, memo_values)),
            );
            let addr = self.b.ins().iadd(values, idx);
            let v = self.b.ins().load(I64, trusted(), addr, 0);
            let zero = self.iconst(0);
            self.b.ins().return_(&[v, zero]);
            self.b.switch_to_block(miss_block);
            tag = Some((t, idx));
        }
        let v = self.def_value(&mut frame)?;
        if let Some((t, idx)) = tag {
            let values = self.b.ins().load(
                self.ptr,
                trusted(),
                ctx,
                off(offset_of!(KernelCtx, memo_values)),
            );
            let addr = self.b.ins().iadd(values, idx);
            self.b.ins().store(trusted(), v, addr, 0);
            let tags = self.b.ins().load(
                self.ptr,
                trusted(),
                ctx,
                off(offset_of!(KernelCtx, memo_tags)),
            );
            let tag_addr = self.b.ins().iadd(tags, idx);
            self.b.ins().store(trusted(), t, tag_addr, 0);
        }
        let zero = self.iconst(0);
        self.b.ins().return_(&[v, zero]);
        Ok(())
    }

    /// The value of definition `self.def` in `frame` (its entity's rows): exceptions
    /// in priority order, then the version in force, then the amount's rounding.
    fn def_value(&mut self, frame: &mut Frame) -> Result<Val, CodegenError> {
        let program = self.plan.program;
        let def = program.def(self.def);
        if self.plan.pending.def_uses(program, self.def) {
            return self.def_value_rounded(frame);
        }
        let known = self.known.len();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        for x in &def.exceptions {
            let c = self.expr(x.condition, frame)?;
            let take = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(c, take, &[], next, &[]);
            self.b.switch_to_block(take);
            let mark = self.known.len();
            let v = self.expr(x.value, frame)?;
            self.known.truncate(mark);
            self.b.ins().jump(done, &args(&[v]));
            self.b.switch_to_block(next);
        }
        match self.plan.bodies.get(self.def.index()).copied().flatten() {
            Some(body) => {
                let mut v = self.expr(body, frame)?;
                // Caps and floors, in order, as the interpreter applies them; exceptions
                // jumped to `done` above and bypass them.
                let limits = def
                    .versions
                    .iter()
                    .find(|ver| ver.body == body)
                    .map(|ver| ver.limits.as_slice())
                    .unwrap_or_default();
                for l in limits {
                    let lv = self.expr(l.value, frame)?;
                    if l.principle {
                        continue;
                    }
                    let cc = if l.at_most {
                        IntCC::SignedGreaterThan
                    } else {
                        IntCC::SignedLessThan
                    };
                    let beyond = self.b.ins().icmp(cc, v, lv);
                    v = self.b.ins().select(beyond, lv, v);
                }
                self.b.ins().jump(done, &args(&[v]));
            }
            None => {
                let kind = self.iconst(i64::from(ERR_NO_VERSION));
                let zero = self.iconst(0);
                let err = self.err_block();
                let a = self.err_args(kind, zero, zero);
                self.b.ins().jump(err, &a);
            }
        }
        self.b.switch_to_block(done);
        self.known.truncate(known);
        let mut v = *self
            .b
            .block_params(done)
            .first()
            .ok_or_else(|| CodegenError::Unsupported("internal: no value".into()))?;
        if let Some(mode) = def.rounding
            && def.ty.is_numeric()
        {
            v = self.round_to_unit(v, FEN, mode)?;
        }
        Ok(v)
    }

    /// The block that records an error of this definition and returns (filled by
    /// [`Fn::finish`]).
    fn err_block(&mut self) -> Block {
        if let Some(b) = self.err_block {
            return b;
        }
        let blk = self.b.create_block();
        for _ in 0..4 {
            self.b.append_block_param(blk, I64);
        }
        self.err_block = Some(blk);
        blk
    }

    /// The error block's arguments: `kind`, `aux`, `arg` and the definition being built.
    fn err_args(&mut self, kind: Val, aux: Val, arg: Val) -> Vec<BlockArg> {
        let def = self.iconst(i64::from(self.def.0));
        args(&[kind, aux, arg, def])
    }

    fn prop_block(&mut self) -> Block {
        if let Some(b) = self.prop_block {
            return b;
        }
        let blk = self.b.create_block();
        self.prop_block = Some(blk);
        blk
    }

    /// Fills the error and propagation blocks; call once the body is complete.
    fn finish(&mut self) {
        if let Some(blk) = self.err_block {
            self.b.switch_to_block(blk);
            let p = self.b.block_params(blk).to_vec();
            if let (Some(ctx), [kind, aux, arg, def]) = (self.ctx, &p[..]) {
                let base = off(offset_of!(KernelCtx, error));
                let kind32 = self.b.ins().ireduce(types::I32, *kind);
                self.b.ins().store(
                    trusted(),
                    kind32,
                    ctx,
                    base + off(offset_of!(ErrorRecord, kind)),
                );
                let def = self.b.ins().ireduce(types::I32, *def);
                self.b.ins().store(
                    trusted(),
                    def,
                    ctx,
                    base + off(offset_of!(ErrorRecord, def)),
                );
                self.b.ins().store(
                    trusted(),
                    *aux,
                    ctx,
                    base + off(offset_of!(ErrorRecord, aux)),
                );
                self.b.ins().store(
                    trusted(),
                    *arg,
                    ctx,
                    base + off(offset_of!(ErrorRecord, arg)),
                );
            }
            let zero = self.b.ins().iconst(I64, 0);
            let one = self.b.ins().iconst(I64, 1);
            self.b.ins().return_(&[zero, one]);
        }
        if let Some(blk) = self.prop_block {
            self.b.switch_to_block(blk);
            let zero = self.b.ins().iconst(I64, 0);
            let one = self.b.ins().iconst(I64, 1);
            self.b.ins().return_(&[zero, one]);
        }
    }

    /// Branches to the error block with `kind`, `aux`, `arg` when `cond` is non-zero.
    fn fail_if(&mut self, cond: Val, kind: u32, aux: i64, arg: Option<Val>) {
        if let Some(flag) = self.speculating {
            let cond = if self.b.func.dfg.value_type(cond) == types::I8 {
                cond
            } else {
                self.b.ins().icmp_imm_s(IntCC::NotEqual, cond, 0)
            };
            let f = self.b.use_var(flag);
            let f = self.b.ins().bor(f, cond);
            self.b.def_var(flag, f);
            return;
        }
        let site = self.cold_site(cond);
        let k = self.iconst(i64::from(kind));
        let a = self.iconst(aux);
        let arg = arg.unwrap_or_else(|| self.b.ins().iconst(I64, -1));
        let err = self.err_block();
        let a = self.err_args(k, a, arg);
        self.b.ins().jump(err, &a);
        self.b.switch_to_block(site);
    }

    /// Branches on `cond` to a new cold block, which becomes current; returns the block
    /// to continue in when `cond` is zero. The error's arguments are made in the cold
    /// block, so the hot path carries no moves for them.
    fn cold_site(&mut self, cond: Val) -> Block {
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        let cont = self.b.create_block();
        self.b.ins().brif(cond, cold, &[], cont, &[]);
        self.b.switch_to_block(cold);
        cont
    }

    /// Jumps to the error block unconditionally and continues in a dead block.
    fn fail(&mut self, kind: u32, aux: i64, arg: Option<Val>) -> Val {
        let k = self.iconst(i64::from(kind));
        let a = self.iconst(aux);
        let arg = arg.unwrap_or_else(|| self.b.ins().iconst(I64, -1));
        let err = self.err_block();
        let a = self.err_args(k, a, arg);
        self.b.ins().jump(err, &a);
        let dead = self.b.create_block();
        self.b.switch_to_block(dead);
        self.iconst(0)
    }

    fn call_helper(&mut self, h: Helper, call_args: &[Val]) -> Result<Val, CodegenError> {
        self.call_helper_for(h, call_args, None)
    }

    /// Calls helper `h`; when it fails, the error record's `aux` is `aux` and its `arg`
    /// the helper's result (a working-day count's calendar and the day it needed), or
    /// 0 and −1 without `aux`.
    fn call_helper_for(
        &mut self,
        h: Helper,
        call_args: &[Val],
        aux: Option<i64>,
    ) -> Result<Val, CodegenError> {
        let spec = h.spec();
        let sig = self
            .helpers
            .get(&h)
            .cloned()
            .ok_or_else(|| CodegenError::Unsupported("internal: helper".into()))?;
        let sig = self.b.import_signature(sig);
        let mut a = call_args.to_vec();
        let ctx = self.ctx()?;
        let table = self.b.ins().load(
            self.ptr,
            trusted().with_readonly(),
            ctx,
            off(offset_of!(KernelCtx, helpers)),
        );
        let f = self.b.ins().load(
            self.ptr,
            trusted().with_readonly(),
            table,
            off(h.index() * 8),
        );
        if spec.fallible {
            let status_off = self
                .b
                .ins()
                .iconst(self.ptr, offset_of!(KernelCtx, status) as i64);
            let status = self.b.ins().iadd(ctx, status_off);
            a.push(status);
        }
        if spec.den_out {
            let den_off = self
                .b
                .ins()
                .iconst(self.ptr, offset_of!(KernelCtx, den) as i64);
            let den = self.b.ins().iadd(ctx, den_off);
            a.push(den);
        }
        let call = self.b.ins().call_indirect(sig, f, &a);
        let v = *self
            .b
            .inst_results(call)
            .first()
            .ok_or_else(|| CodegenError::Unsupported("internal: helper result".into()))?;
        if spec.fallible {
            let s = self
                .b
                .ins()
                .uload32(trusted(), ctx, off(offset_of!(KernelCtx, status)));
            let cont = self.cold_site(s);
            let (aux, arg) = match aux {
                Some(aux) => (self.iconst(aux), v),
                None => (self.iconst(0), self.iconst(-1)),
            };
            let err = self.err_block();
            let a = self.err_args(s, aux, arg);
            self.b.ins().jump(err, &a);
            self.b.switch_to_block(cont);
        }
        Ok(v)
    }

    fn checked(&mut self, op: ArithOp, a: Val, c: Val) -> Val {
        let (r, of) = match op {
            ArithOp::Add => self.b.ins().sadd_overflow(a, c),
            ArithOp::Sub => self.b.ins().ssub_overflow(a, c),
            _ => self.b.ins().smul_overflow(a, c),
        };
        self.fail_if(of, ERR_OVERFLOW, 0, None);
        r
    }

    fn bound_row(&self, frame: &Frame, entity: EntityId) -> Result<Val, CodegenError> {
        frame
            .iter()
            .rev()
            .find(|(e, _)| *e == entity)
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                let name = self
                    .plan
                    .program
                    .schema
                    .entity(entity)
                    .map_or("?", |e| e.name.as_str());
                CodegenError::Unsupported(format!(
                    "a value of `{name}` is read where no `{name}` row is in reach"
                ))
            })
    }

    fn constant(&mut self, v: &Value) -> Result<Val, CodegenError> {
        Ok(match v {
            Value::Int(i) => self.iconst(*i),
            Value::Bool(b) => self.iconst(i64::from(*b)),
            Value::Date(d) => self.iconst(i64::from(*d)),
            Value::Enum(e) => self.iconst(i64::from(*e)),
            Value::Text(t) => {
                let idx = self.text_index(t);
                let texts = match &self.hoisted {
                    Some(h) => h.texts,
                    None => {
                        let ctx = self.ctx()?;
                        self.b.ins().load(
                            self.ptr,
                            trusted(),
                            ctx,
                            off(offset_of!(KernelCtx, texts)),
                        )
                    }
                };
                self.b.ins().load(I64, trusted(), texts, off(idx * 8))
            }
        })
    }

    fn text_index(&mut self, t: &Arc<str>) -> usize {
        if let Some(i) = self.needs.texts.iter().position(|x| x == t) {
            return i;
        }
        self.needs.texts.push(t.clone());
        self.needs.texts.len() - 1
    }

    fn cell(&mut self, v: &Option<Value>) -> TableCell {
        match v {
            None => TableCell::Absent,
            Some(Value::Int(i)) => TableCell::Int(*i),
            Some(Value::Bool(b)) => TableCell::Int(i64::from(*b)),
            Some(Value::Date(d)) => TableCell::Int(i64::from(*d)),
            Some(Value::Enum(e)) => TableCell::Int(i64::from(*e)),
            Some(Value::Text(t)) => TableCell::Text(self.text_index(t)),
        }
    }

    /// Whether `id` cannot fail and costs little: constants, fields, definitions already
    /// computed on this path, and `not`, `and`, `or` and comparisons of those. Such an
    /// operand of `and` / `or` is evaluated without a branch, and a sum of such values
    /// checks for overflow once, after the loop.
    fn cheap_and_safe(&self, id: ExprId, depth: u32) -> bool {
        if depth > 8 || self.plan.pending.node(id) {
            return false;
        }
        match self.plan.program.nodes.get(id.index()) {
            Some(Node::Const(_) | Node::Field { .. }) => true,
            Some(Node::Def(d)) => self.known.iter().any(|(k, _)| k == d),
            Some(Node::Not(a)) => self.cheap_and_safe(*a, depth + 1),
            Some(Node::And(a, b) | Node::Or(a, b) | Node::Cmp { lhs: a, rhs: b, .. }) => {
                self.cheap_and_safe(*a, depth + 1) && self.cheap_and_safe(*b, depth + 1)
            }
            _ => false,
        }
    }

    /// Whether `id` can be built without a branch, a failure only setting a flag
    /// (see [`Self::speculative_if`]): what [`Self::cheap_and_safe`] accepts, with
    /// negation, `+`, `-`, `×` (checked) and `count(…)` without a filter. Nothing that
    /// reads memory at a computed index (keyed parameters) or calls out.
    fn speculable(&self, id: ExprId, depth: u32) -> bool {
        if depth > 6 || self.plan.pending.node(id) {
            return false;
        }
        match self.plan.program.nodes.get(id.index()) {
            Some(Node::Const(_) | Node::Field { .. }) => true,
            Some(Node::Def(d)) => self.known.iter().any(|(k, _)| k == d),
            Some(Node::Not(a) | Node::Neg(a)) => self.speculable(*a, depth + 1),
            Some(
                Node::And(a, b)
                | Node::Or(a, b)
                | Node::Cmp { lhs: a, rhs: b, .. }
                | Node::Arith {
                    op: ArithOp::Add | ArithOp::Sub | ArithOp::Mul,
                    lhs: a,
                    rhs: b,
                },
            ) => self.speculable(*a, depth + 1) && self.speculable(*b, depth + 1),
            Some(Node::Aggregate {
                function: AggFn::Count,
                filter: None,
                ..
            }) => true,
            _ => false,
        }
    }

    /// `if c then a else b` with both sides built and one chosen by `select`, when
    /// both are [`Self::speculable`]: a condition that is true for some households
    /// and false for others costs no mispredicted branch. A failure on the side not
    /// chosen is ignored; on the chosen side, a cold block builds that side again with
    /// its branches, which reports the failure exactly as the lazy `if` would.
    fn speculative_if(
        &mut self,
        c: Val,
        then: ExprId,
        otherwise: ExprId,
        frame: &mut Frame,
    ) -> Result<Val, CodegenError> {
        let outer = self.speculating;
        let mut side = |s: &mut Self, e: ExprId| -> Result<(Val, Val), CodegenError> {
            let flag = s.b.declare_var(types::I8);
            let no = s.b.ins().iconst(types::I8, 0);
            s.b.def_var(flag, no);
            s.speculating = Some(flag);
            let known = s.known.len();
            let v = s.expr(e, frame);
            s.known.truncate(known);
            s.speculating = outer;
            Ok((v?, s.b.use_var(flag)))
        };
        let (vt, ft) = side(self, then)?;
        let (ve, fe) = side(self, otherwise)?;
        let v = self.b.ins().select(c, vt, ve);
        let failed = self.b.ins().select(c, ft, fe);
        if let Some(flag) = outer {
            // Inside another speculative `if`: its cold block rebuilds this one too.
            let f = self.b.use_var(flag);
            let f = self.b.ins().bor(f, failed);
            self.b.def_var(flag, f);
            return Ok(v);
        }
        let cont = self.cold_site(failed);
        let t = self.b.create_block();
        let e = self.b.create_block();
        self.b.ins().brif(c, t, &[], e, &[]);
        for (block, side) in [(t, then), (e, otherwise)] {
            self.b.switch_to_block(block);
            self.b.set_cold_block(block);
            let known = self.known.len();
            self.expr(side, frame)?;
            self.known.truncate(known);
            self.b.ins().jump(cont, &[]);
        }
        self.b.switch_to_block(cont);
        Ok(v)
    }

    fn bool_of(&mut self, c: Val) -> Val {
        let b = self.b.ins().icmp_imm_s(IntCC::NotEqual, c, 0);
        self.b.ins().uextend(I64, b)
    }

    fn expr(&mut self, id: ExprId, frame: &mut Frame) -> Result<Val, CodegenError> {
        self.emitted += 1;
        let program = self.plan.program;
        let node = program
            .nodes
            .get(id.index())
            .ok_or_else(|| CodegenError::Unsupported("internal: unknown node".into()))?;
        if self.plan.pending.node(id) {
            return self.pending_value(id, frame);
        }
        Ok(match node {
            Node::Const(v) => self.constant(v)?,
            Node::Field { entity, field } => self.field(frame, *entity, field.0 as usize)?,
            Node::Def(d) => self.call_def(*d, frame)?,
            Node::LastYear(_) => {
                return Err(CodegenError::Unsupported(
                    "`[last year]` (yearly tables run in the interpreter)".into(),
                ));
            }
            Node::Param { param, key } => {
                let key = match key {
                    Some(k) => Some(self.expr(*k, frame)?),
                    None => None,
                };
                self.param(*param, key)?
            }
            Node::Scale { scale, arg } if self.plan.pending.node(*arg) => {
                self.exact_step_scale(scale.index(), *arg, frame)?
            }
            Node::Scale { scale, arg } => {
                let x = self.expr(*arg, frame)?;
                self.scale(scale.index(), x)?
            }
            Node::Neg(a) => {
                let a = self.expr(*a, frame)?;
                let zero = self.iconst(0);
                self.checked(ArithOp::Sub, zero, a)
            }
            Node::Not(a) => {
                let a = self.expr(*a, frame)?;
                let b = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
                self.b.ins().uextend(I64, b)
            }
            Node::Arith { op, lhs, rhs } => {
                let a = self.expr(*lhs, frame)?;
                let c = self.expr(*rhs, frame)?;
                match op {
                    ArithOp::Add | ArithOp::Sub | ArithOp::Mul => self.checked(*op, a, c),
                    ArithOp::MulScaled(d) => self.mul_scaled(a, c, *d)?,
                    ArithOp::DivScaled(s) => {
                        let by_count = matches!(
                            program.nodes.get(rhs.index()),
                            Some(Node::Aggregate {
                                function: AggFn::Count,
                                ..
                            })
                        );
                        self.div_scaled(a, *s, c, by_count)?
                    }
                    ArithOp::DateAddDays => self.call_helper(Helper::DateAddDays, &[a, c])?,
                    ArithOp::DateSubDays => self.call_helper(Helper::DateSubDays, &[a, c])?,
                    ArithOp::DateAddMonths => self.call_helper(Helper::DateAddMonths, &[a, c])?,
                    ArithOp::DateSubMonths => self.call_helper(Helper::DateSubMonths, &[a, c])?,
                }
            }
            Node::Cmp { op, lhs, rhs }
                if self.plan.pending.node(*lhs) || self.plan.pending.node(*rhs) =>
            {
                self.exact_cmp(*op, *lhs, *rhs, frame)?
            }
            Node::Cmp { op, lhs, rhs } => {
                let a = self.expr(*lhs, frame)?;
                let c = self.expr(*rhs, frame)?;
                let cc = match op {
                    CmpOp::Eq => IntCC::Equal,
                    CmpOp::Ne => IntCC::NotEqual,
                    CmpOp::Lt => IntCC::SignedLessThan,
                    CmpOp::Le => IntCC::SignedLessThanOrEqual,
                    CmpOp::Gt => IntCC::SignedGreaterThan,
                    CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
                };
                let r = self.b.ins().icmp(cc, a, c);
                self.b.ins().uextend(I64, r)
            }
            Node::And(l, r) | Node::Or(l, r) if self.cheap_and_safe(*r, 0) => {
                // Laziness only decides which error comes first; `r` has none.
                let a = self.expr(*l, frame)?;
                let c = self.expr(*r, frame)?;
                if matches!(node, Node::And(..)) {
                    self.b.ins().band(a, c)
                } else {
                    self.b.ins().bor(a, c)
                }
            }
            Node::And(l, r) | Node::Or(l, r) => {
                let is_and = matches!(node, Node::And(..));
                let a = self.expr(*l, frame)?;
                let merge = self.b.create_block();
                self.b.append_block_param(merge, I64);
                let rhs = self.b.create_block();
                let short = self.iconst(i64::from(!is_and));
                if is_and {
                    self.b.ins().brif(a, rhs, &[], merge, &args(&[short]));
                } else {
                    self.b.ins().brif(a, merge, &args(&[short]), rhs, &[]);
                }
                self.b.switch_to_block(rhs);
                let known = self.known.len();
                let c = self.expr(*r, frame)?;
                self.known.truncate(known);
                let c = self.bool_of(c);
                self.b.ins().jump(merge, &args(&[c]));
                self.b.switch_to_block(merge);
                self.block_param(merge)?
            }
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                let c = self.expr(*condition, frame)?;
                if self.speculable(*then, 0) && self.speculable(*otherwise, 0) {
                    return self.speculative_if(c, *then, *otherwise, frame);
                }
                let merge = self.b.create_block();
                self.b.append_block_param(merge, I64);
                let t = self.b.create_block();
                let e = self.b.create_block();
                self.b.ins().brif(c, t, &[], e, &[]);
                self.b.switch_to_block(t);
                let known = self.known.len();
                let v = self.expr(*then, frame)?;
                self.known.truncate(known);
                self.b.ins().jump(merge, &args(&[v]));
                self.b.switch_to_block(e);
                let v = self.expr(*otherwise, frame)?;
                self.known.truncate(known);
                self.b.ins().jump(merge, &args(&[v]));
                self.b.switch_to_block(merge);
                self.block_param(merge)?
            }
            Node::MinMax { max, args: list } => {
                let mut best: Option<Val> = None;
                for a in list {
                    let v = self.expr(*a, frame)?;
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let cc = if *max {
                                IntCC::SignedGreaterThan
                            } else {
                                IntCC::SignedLessThan
                            };
                            let better = self.b.ins().icmp(cc, v, b);
                            self.b.ins().select(better, v, b)
                        }
                    });
                }
                match best {
                    Some(b) => b,
                    None => self.iconst(0),
                }
            }
            Node::Call {
                builtin,
                args: list,
            } => self.builtin(*builtin, list, frame)?,
            Node::Aggregate { .. } => self.aggregate(frame, node)?,
            Node::History { .. } => self.history(frame, node)?,
        })
    }

    fn block_param(&self, block: Block) -> Result<Val, CodegenError> {
        self.b
            .block_params(block)
            .first()
            .copied()
            .ok_or_else(|| CodegenError::Unsupported("internal: block parameter".into()))
    }

    fn field(
        &mut self,
        frame: &Frame,
        entity: EntityId,
        field: usize,
    ) -> Result<Val, CodegenError> {
        let row = self.bound_row(frame, entity)?;
        let schema = &self.plan.program.schema;
        let ty = schema
            .entity(entity)
            .and_then(|e| e.fields.get(field))
            .map(|f| f.ty.clone())
            .ok_or_else(|| CodegenError::Unsupported("internal: unknown field".into()))?;
        let slot = self.plan.slots.column(entity.0 as usize, field);
        if matches!(ty, ColumnType::Text) {
            self.needs.text_columns.insert(slot);
        }
        let data = match self.hoisted.as_ref().and_then(|h| h.columns.get(slot)) {
            Some(d) => *d,
            None => {
                let ctx = self.ctx()?;
                let columns = self.b.ins().load(
                    self.ptr,
                    trusted(),
                    ctx,
                    off(offset_of!(KernelCtx, columns)),
                );
                let view =
                    off(slot * std::mem::size_of::<ColumnView>() + offset_of!(ColumnView, data));
                self.b
                    .ins()
                    .load(self.ptr, trusted().with_readonly(), columns, view)
            }
        };
        // Plain `load`s (then an extension) with `column_flags`: Cranelift treats them
        // as pure, so a field read twice on one path is read once.
        let (width, load): (i64, fn(&mut Self, Val) -> Val) = match ty {
            ColumnType::Bool => (1, |s, a| {
                let v = s.b.ins().load(types::I8, column_flags(), a, 0);
                s.b.ins().uextend(I64, v)
            }),
            ColumnType::Date => (4, |s, a| {
                let v = s.b.ins().load(types::I32, column_flags(), a, 0);
                s.b.ins().sextend(I64, v)
            }),
            ColumnType::Enum(_) | ColumnType::Text => (4, |s, a| {
                let v = s.b.ins().load(types::I32, column_flags(), a, 0);
                s.b.ins().uextend(I64, v)
            }),
            _ => (8, |s, a| s.b.ins().load(I64, column_flags(), a, 0)),
        };
        let w = self.iconst(width);
        let byte = self.b.ins().imul(row, w);
        let addr = self.b.ins().iadd(data, byte);
        Ok(load(self, addr))
    }

    fn call_def(&mut self, d: DefId, frame: &Frame) -> Result<Val, CodegenError> {
        if self.hoisted.is_some() {
            if let Some((_, v)) = self.known.iter().rev().find(|(k, _)| *k == d) {
                return Ok(*v);
            }
            if self.emitted < INLINE_BUDGET {
                return self.inline_def(d, frame);
            }
        }
        let program = self.plan.program;
        let def = program
            .defs
            .get(d.index())
            .ok_or_else(|| CodegenError::Unsupported("internal: unknown definition".into()))?;
        let fid = *self
            .defs
            .get(d.index())
            .ok_or_else(|| CodegenError::Unsupported("internal: unknown definition".into()))?;
        let mut a = vec![self.ctx()?];
        for e in self.plan.path(def.entity).to_vec() {
            a.push(self.bound_row(frame, e)?);
        }
        let f = self.func_ref(fid);
        let call = self.b.ins().call(f, &a);
        let r = self.b.inst_results(call).to_vec();
        let [v, s] = r[..] else {
            return Err(CodegenError::Unsupported("internal: call results".into()));
        };
        let prop = self.prop_block();
        let cont = self.b.create_block();
        self.b.ins().brif(s, prop, &[], cont, &[]);
        self.b.switch_to_block(cont);
        Ok(v)
    }

    /// Definition `d` built in place (in the kernel): its value in SSA form, remembered
    /// for the rest of the row when it is a root definition.
    fn inline_def(&mut self, d: DefId, frame: &Frame) -> Result<Val, CodegenError> {
        let program = self.plan.program;
        let def = program
            .defs
            .get(d.index())
            .ok_or_else(|| CodegenError::Unsupported("internal: unknown definition".into()))?;
        let mut rows: Frame = Vec::new();
        for e in self.plan.path(def.entity).to_vec() {
            rows.push((e, self.bound_row(frame, e)?));
        }
        let caller = std::mem::replace(&mut self.def, d);
        let v = self.def_value(&mut rows);
        self.def = caller;
        let v = v?;
        if def.entity == program.schema.root {
            self.known.push((d, v));
        }
        Ok(v)
    }

    fn param(&mut self, id: ParamId, key: Option<Val>) -> Result<Val, CodegenError> {
        let aux = i64::from(id.0);
        let plan = self
            .plan
            .params
            .get(id.index())
            .ok_or_else(|| CodegenError::Unsupported("internal: unknown parameter".into()))?;
        match (plan, key) {
            (ParamAtDate::Single(Some(v)), _) => self.constant(v),
            (ParamAtDate::Single(None), key) | (ParamAtDate::Keyed(_), key @ None) => {
                Ok(self.fail(ERR_MISSING_PARAM, aux, key))
            }
            (ParamAtDate::Keyed(values), Some(k)) => {
                let n = values.len() as i64;
                // `gaps`: some key has no value, so each lookup checks its flag.
                let (base, gaps) = match self.keyed_tables.get(&id) {
                    Some(b) => *b,
                    None => {
                        let base = self.needs.tables.len();
                        let mut gaps = false;
                        for v in values {
                            let c = self.cell(v);
                            let (present, value) = match c {
                                TableCell::Absent => (0, TableCell::Int(0)),
                                c => (1, c),
                            };
                            gaps |= present == 0;
                            self.needs.tables.push(TableCell::Int(present));
                            self.needs.tables.push(value);
                        }
                        self.keyed_tables.insert(id, (base, gaps));
                        (base, gaps)
                    }
                };
                let out_of_range = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, k, n);
                self.fail_if(out_of_range, ERR_MISSING_PARAM, aux, Some(k));
                let tables = match &self.hoisted {
                    Some(h) => h.tables,
                    None => {
                        let ctx = self.ctx()?;
                        self.b.ins().load(
                            self.ptr,
                            trusted(),
                            ctx,
                            off(offset_of!(KernelCtx, tables)),
                        )
                    }
                };
                let sixteen = self.iconst(16);
                let o = self.b.ins().imul(k, sixteen);
                let addr = self.b.ins().iadd(tables, o);
                let ro = trusted().with_readonly();
                if gaps {
                    let present = self.b.ins().load(I64, ro, addr, off(base * 8));
                    let absent = self.b.ins().icmp_imm_s(IntCC::Equal, present, 0);
                    self.fail_if(absent, ERR_MISSING_PARAM, aux, Some(k));
                }
                Ok(self.b.ins().load(I64, ro, addr, off(base * 8 + 8)))
            }
        }
    }

    fn scale(&mut self, index: usize, x: Val) -> Result<Val, CodegenError> {
        let aux = index as i64;
        let program = self.plan.program;
        let marginal = program.scales.get(index).is_some_and(|s| s.marginal);
        let Some(version) = self.plan.scales.get(index).copied().flatten() else {
            return Ok(self.fail(ERR_SCALE_NONE, aux, None));
        };
        let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        if marginal {
            let total = self.b.declare_var(I64);
            let zero = self.iconst(0);
            self.b.def_var(total, zero);
            for (i, (t, rate)) in version.brackets.iter().enumerate() {
                let lower = int(t);
                let stop = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::SignedLessThanOrEqual, x, lower);
                let go = self.b.create_block();
                let sum = self.b.use_var(total);
                self.b.ins().brif(stop, done, &args(&[sum]), go, &[]);
                self.b.switch_to_block(go);
                let upper = match version.brackets.get(i + 1) {
                    Some((n, _)) => {
                        let n = self.iconst(int(n));
                        self.b.ins().smin(n, x)
                    }
                    None => x,
                };
                let lower = self.iconst(lower);
                let part = self.checked(ArithOp::Sub, upper, lower);
                let r = self.iconst(int(rate));
                let tax = self.mul_scaled(part, r, MICRO)?;
                let sum = self.b.use_var(total);
                let sum = self.checked(ArithOp::Add, sum, tax);
                self.b.def_var(total, sum);
            }
            let sum = self.b.use_var(total);
            self.b.ins().jump(done, &args(&[sum]));
        } else {
            for (t, v) in version.brackets.iter().rev() {
                let here = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, x, int(t));
                let take = self.b.create_block();
                let next = self.b.create_block();
                self.b.ins().brif(here, take, &[], next, &[]);
                self.b.switch_to_block(take);
                let v = self.constant(v)?;
                self.b.ins().jump(done, &args(&[v]));
                self.b.switch_to_block(next);
            }
            self.fail(ERR_BELOW_BRACKET, aux, Some(x));
            let zero = self.iconst(0);
            self.b.ins().jump(done, &args(&[zero]));
        }
        self.b.switch_to_block(done);
        self.block_param(done)
    }

    fn builtin(
        &mut self,
        builtin: Builtin,
        list: &[ExprId],
        frame: &mut Frame,
    ) -> Result<Val, CodegenError> {
        let arg = |i: usize| {
            list.get(i)
                .copied()
                .ok_or_else(|| CodegenError::Unsupported("internal: missing argument".into()))
        };
        if let Builtin::Floor(_) | Builtin::Ceil(_) | Builtin::RoundFen(_) = builtin
            && self.plan.pending.node(arg(0)?)
        {
            return self.exact_builtin(builtin, arg(0)?, frame);
        }
        Ok(match builtin {
            Builtin::PerYear => {
                let a = self.expr(arg(0)?, frame)?;
                let twelve = self.iconst(12);
                self.checked(ArithOp::Mul, a, twelve)
            }
            Builtin::PerMonth => {
                let a = self.expr(arg(0)?, frame)?;
                let twelve = self.iconst(12);
                self.div_scaled(a, 1, twelve, false)?
            }
            Builtin::MonthsBetween | Builtin::DaysBetween => {
                let a = self.expr(arg(0)?, frame)?;
                let c = self.expr(arg(1)?, frame)?;
                let h = if builtin == Builtin::MonthsBetween {
                    Helper::MonthsBetween
                } else {
                    Helper::DaysBetween
                };
                self.call_helper(h, &[a, c])?
            }
            Builtin::YearsBetween => {
                let a = self.expr(arg(0)?, frame)?;
                let c = self.expr(arg(1)?, frame)?;
                let years = self.call_helper(Helper::YearsBetween, &[a, c])?;
                // Whole years as months; |years| < 20,000, so this cannot overflow.
                self.b.ins().imul_imm_s(years, 12)
            }
            Builtin::Calendar(day) => {
                let d = self.expr(arg(0)?, frame)?;
                let which = self.iconst(day as i64);
                self.call_helper(Helper::CalendarDay, &[d, which])?
            }
            Builtin::EvaluationDate => self.iconst(i64::from(self.plan.date)),
            Builtin::AddWorkingDays(c) | Builtin::WorkingDaysBetween(c) => {
                let a = self.expr(arg(0)?, frame)?;
                let b = self.expr(arg(1)?, frame)?;
                let table = self.calendar_table(c)?;
                let h = if matches!(builtin, Builtin::AddWorkingDays(_)) {
                    Helper::AddWorkingDays
                } else {
                    Helper::WorkingDaysBetween
                };
                self.call_helper_for(h, &[table, a, b], Some(i64::from(c.0)))?
            }
            Builtin::Floor(scale) | Builtin::Ceil(scale) => {
                let a = self.expr(arg(0)?, frame)?;
                self.floor_ceil(a, scale, matches!(builtin, Builtin::Ceil(_)))?
            }
            Builtin::RoundFen(mode) => {
                let a = self.expr(arg(0)?, frame)?;
                self.round_to_unit(a, FEN, mode)?
            }
        })
    }

    /// The rows `start..end` of `relation`'s children of `owner`'s row in `frame`.
    fn child_rows(
        &mut self,
        frame: &Frame,
        owner: EntityId,
        relation: usize,
    ) -> Result<(Val, Val), CodegenError> {
        let owner_row = self.bound_row(frame, owner)?;
        let slot = self.plan.slots.relation(owner.0 as usize, relation);
        let ro = trusted().with_readonly();
        let data = match self.hoisted.as_ref().and_then(|h| h.offsets.get(slot)) {
            Some(d) => *d,
            None => {
                let ctx = self.ctx()?;
                let offsets = self.b.ins().load(
                    self.ptr,
                    trusted(),
                    ctx,
                    off(offset_of!(KernelCtx, offsets)),
                );
                let view =
                    off(slot * std::mem::size_of::<ColumnView>() + offset_of!(ColumnView, data));
                self.b.ins().load(self.ptr, ro, offsets, view)
            }
        };
        let four = self.iconst(4);
        let o = self.b.ins().imul(owner_row, four);
        let addr = self.b.ins().iadd(data, o);
        // Pure loads (see `field`): `count(members)` used three times reads once.
        let start = self.b.ins().load(types::I32, column_flags(), addr, 0);
        let start = self.b.ins().uextend(I64, start);
        let end = self.b.ins().load(types::I32, column_flags(), addr, 4);
        let end = self.b.ins().uextend(I64, end);
        Ok((start, end))
    }

    /// An aggregate node (`Node::Aggregate`) in `frame`.
    fn aggregate(&mut self, frame: &mut Frame, node: &Node) -> Result<Val, CodegenError> {
        let &Node::Aggregate {
            function,
            owner,
            relation,
            child,
            body,
            filter,
            default,
        } = node
        else {
            return Err(CodegenError::Unsupported(
                "internal: not an aggregate".into(),
            ));
        };
        let over = Over {
            function,
            child,
            body,
            filter,
            default,
        };
        let (start, end) = self.child_rows(frame, owner, relation)?;
        if function == AggFn::Count && filter.is_none() {
            // Checked offsets never decrease.
            return Ok(self.b.ins().isub(end, start));
        }
        let plan = self.plan;
        let site = prefix_key(plan.program, &plan.slots, node)
            .and_then(|key| plan.prefix_sites.iter().position(|s| *s == key));
        if let Some((p, base)) = site.and_then(|k| self.hoisted.as_ref()?.prefix.get(k).copied()) {
            // Prefix sums of the chunk (see `bylaw_rt_child_prefix`): the row's sum is a
            // difference, with no loop; when they are absent (0) the loop below runs.
            let fast = self.b.create_block();
            let slow = self.b.create_block();
            let done = self.b.create_block();
            self.b.append_block_param(done, I64);
            self.b.ins().brif(p, fast, &[], slow, &[]);
            self.b.switch_to_block(fast);
            let eight = self.iconst(8);
            let at = |s: &mut Self, o: Val| {
                let k = s.b.ins().isub(o, base);
                let k = s.b.ins().imul(k, eight);
                let a = s.b.ins().iadd(p, k);
                s.b.ins().load(I64, trusted().with_readonly(), a, 0)
            };
            let before = at(self, start);
            let upto = at(self, end);
            let sum = self.b.ins().isub(upto, before);
            self.b.ins().jump(done, &args(&[sum]));
            self.b.switch_to_block(slow);
            let v = self.aggregate_rows(frame, over, start, end)?;
            self.b.ins().jump(done, &args(&[v]));
            self.b.switch_to_block(done);
            return self.block_param(done);
        }
        self.aggregate_rows(frame, over, start, end)
    }

    /// A sum, count, `any` or `all` of values that cannot fail, over rows `start..end`
    /// of `child`, [`GROUP`] rows per iteration without a branch: a row past `end`
    /// reads row `base` again (in bounds) and counts as absent. Households rarely have
    /// more than four members, so the loop usually runs once and its exit is
    /// predicted, where a loop per member mispredicts the exit at nearly every row.
    /// A sum adds in row order and checks for overflow once, after the loop: absent
    /// rows add 0, so it fails exactly when the running sum does.
    fn aggregate_groups(
        &mut self,
        frame: &mut Frame,
        over: Over,
        start: Val,
        end: Val,
    ) -> Result<Val, CodegenError> {
        let Over {
            function,
            child,
            body,
            filter,
            ..
        } = over;
        let known = self.known.len();
        let (r, acc) = self.loop_vars(function, start);
        let overflowed = self.b.declare_var(types::I8);
        let no = self.b.ins().iconst(types::I8, 0);
        self.b.def_var(overflowed, no);
        let group = self.b.create_block();
        let exit = self.b.create_block();
        let any = self.b.ins().icmp(IntCC::SignedLessThan, start, end);
        self.b.ins().brif(any, group, &[], exit, &[]);

        self.b.switch_to_block(group);
        let base = self.b.use_var(r);
        let left = self.b.ins().isub(end, base);
        for k in 0..GROUP {
            // Row `base + k` if it is before `end`; `base` (present) otherwise.
            let present =
                (k > 0).then(|| self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, left, k));
            let row = match present {
                Some(p) => {
                    let at = self.b.ins().iadd_imm_s(base, k);
                    self.b.ins().select(p, at, base)
                }
                None => base,
            };
            frame.push((child, row));
            let slot = (|| -> Result<(Option<Val>, Option<Val>), CodegenError> {
                let keep = filter.map(|f| self.expr(f, frame)).transpose()?;
                let value = body.map(|b| self.expr(b, frame)).transpose()?;
                Ok((keep, value))
            })();
            frame.pop();
            self.known.truncate(known);
            let (keep, value) = slot?;
            let keep = keep.map(|k| self.b.ins().icmp_imm_s(IntCC::NotEqual, k, 0));
            let counted = match (present, keep) {
                (Some(p), Some(k)) => Some(self.b.ins().band(p, k)),
                (p, k) => p.or(k),
            };
            let a = self.b.use_var(acc);
            let value = || {
                value.ok_or_else(|| CodegenError::Unsupported("internal: aggregate body".into()))
            };
            let a = match function {
                AggFn::Count => match counted {
                    Some(c) => {
                        let one = self.b.ins().uextend(I64, c);
                        self.b.ins().iadd(a, one)
                    }
                    None => self.b.ins().iadd_imm_s(a, 1),
                },
                AggFn::Sum => {
                    let mut v = value()?;
                    if let Some(c) = counted {
                        let zero = self.iconst(0);
                        v = self.b.ins().select(c, v, zero);
                    }
                    let (a, of) = self.b.ins().sadd_overflow(a, v);
                    let o = self.b.use_var(overflowed);
                    let o = self.b.ins().bor(o, of);
                    self.b.def_var(overflowed, o);
                    a
                }
                AggFn::Any => {
                    let mut v = value()?;
                    if let Some(c) = counted {
                        let zero = self.iconst(0);
                        v = self.b.ins().select(c, v, zero);
                    }
                    self.b.ins().bor(a, v)
                }
                _ => {
                    let mut v = value()?;
                    if let Some(c) = counted {
                        let one = self.iconst(1);
                        v = self.b.ins().select(c, v, one);
                    }
                    self.b.ins().band(a, v)
                }
            };
            self.b.def_var(acc, a);
        }
        let next = self.b.ins().iadd_imm_s(base, GROUP);
        self.b.def_var(r, next);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, next, end);
        self.b.ins().brif(more, group, &[], exit, &[]);

        self.b.switch_to_block(exit);
        if function == AggFn::Sum {
            let o = self.b.use_var(overflowed);
            self.fail_if(o, ERR_OVERFLOW, 0, None);
        }
        Ok(self.b.use_var(acc))
    }

    /// An aggregate loop's variables: the child row (from `start`) and the
    /// accumulator (1 for `all`, else 0).
    fn loop_vars(&mut self, function: AggFn, start: Val) -> (Variable, Variable) {
        let r = self.b.declare_var(I64);
        self.b.def_var(r, start);
        let acc = self.b.declare_var(I64);
        let init = self.iconst(i64::from(function == AggFn::All));
        self.b.def_var(acc, init);
        (r, acc)
    }

    /// An aggregate over rows `start..end` of `over.child`: grouped when its values
    /// cannot fail and it needs no early exit or running best, else element by element.
    fn aggregate_rows(
        &mut self,
        frame: &mut Frame,
        over: Over,
        start: Val,
        end: Val,
    ) -> Result<Val, CodegenError> {
        let cheap = over.body.is_none_or(|b| self.cheap_and_safe(b, 0))
            && over.filter.is_none_or(|f| self.cheap_and_safe(f, 0));
        if cheap
            && matches!(
                over.function,
                AggFn::Sum | AggFn::Count | AggFn::Any | AggFn::All
            )
        {
            self.aggregate_groups(frame, over, start, end)
        } else {
            self.aggregate_loop(frame, over, start, end)
        }
    }

    /// The element-by-element loop of an aggregate over rows `start..end` of `child`.
    fn aggregate_loop(
        &mut self,
        frame: &mut Frame,
        over: Over,
        start: Val,
        end: Val,
    ) -> Result<Val, CodegenError> {
        let Over {
            function,
            child,
            body,
            filter,
            default,
        } = over;
        let known = self.known.len();
        let (r, acc) = self.loop_vars(function, start);
        let has = self.b.declare_var(I64);
        let zero = self.iconst(0);
        self.b.def_var(has, zero);

        // A rotated loop: the test at the bottom, in `next`, so that an element costs
        // one branch.
        let body_block = self.b.create_block();
        let next = self.b.create_block();
        let exit = self.b.create_block();
        let result = self.b.create_block();
        self.b.append_block_param(result, I64);
        let any = self.b.ins().icmp(IntCC::SignedLessThan, start, end);
        self.b.ins().brif(any, body_block, &[], exit, &[]);

        self.b.switch_to_block(body_block);
        let row = self.b.use_var(r);
        frame.push((child, row));
        let inner = (|| -> Result<(), CodegenError> {
            if let Some(f) = filter {
                let keep = self.expr(f, frame)?;
                let kept = self.b.create_block();
                self.b.ins().brif(keep, kept, &[], next, &[]);
                self.b.switch_to_block(kept);
            }
            let body_expr =
                || body.ok_or_else(|| CodegenError::Unsupported("internal: aggregate body".into()));
            match function {
                AggFn::Count => {
                    let a = self.b.use_var(acc);
                    let one = self.iconst(1);
                    let a = self.b.ins().iadd(a, one);
                    self.b.def_var(acc, a);
                }
                AggFn::Sum => {
                    let v = self.expr(body_expr()?, frame)?;
                    let a = self.b.use_var(acc);
                    let a = self.checked(ArithOp::Add, a, v);
                    self.b.def_var(acc, a);
                }
                AggFn::Any | AggFn::All => {
                    let v = self.expr(body_expr()?, frame)?;
                    let is_any = function == AggFn::Any;
                    let decided = self.iconst(i64::from(is_any));
                    if is_any {
                        self.b.ins().brif(v, result, &args(&[decided]), next, &[]);
                    } else {
                        self.b.ins().brif(v, next, &[], result, &args(&[decided]));
                    }
                    let dead = self.b.create_block();
                    self.b.switch_to_block(dead);
                }
                AggFn::Min | AggFn::Max => {
                    let v = self.expr(body_expr()?, frame)?;
                    let best = self.b.use_var(acc);
                    let h = self.b.use_var(has);
                    let cc = if function == AggFn::Max {
                        IntCC::SignedGreaterThan
                    } else {
                        IntCC::SignedLessThan
                    };
                    let better = self.b.ins().icmp(cc, v, best);
                    let first = self.b.ins().icmp_imm_s(IntCC::Equal, h, 0);
                    let take = self.b.ins().bor(better, first);
                    let nb = self.b.ins().select(take, v, best);
                    self.b.def_var(acc, nb);
                    let one = self.iconst(1);
                    self.b.def_var(has, one);
                }
            }
            self.b.ins().jump(next, &[]);
            Ok(())
        })();
        frame.pop();
        inner?;

        self.known.truncate(known);
        self.b.switch_to_block(next);
        let row = self.b.use_var(r);
        let one = self.iconst(1);
        let row = self.b.ins().iadd(row, one);
        self.b.def_var(r, row);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, row, end);
        self.b.ins().brif(more, body_block, &[], exit, &[]);

        self.b.switch_to_block(exit);
        let a = self.b.use_var(acc);
        match function {
            AggFn::Min | AggFn::Max => {
                let h = self.b.use_var(has);
                let empty = self.b.create_block();
                self.b.ins().brif(h, result, &args(&[a]), empty, &[]);
                self.b.switch_to_block(empty);
                let d = match default {
                    Some(d) => self.expr(d, frame)?,
                    None => self.iconst(0),
                };
                self.known.truncate(known);
                self.b.ins().jump(result, &args(&[d]));
            }
            _ => {
                self.b.ins().jump(result, &args(&[a]));
            }
        }
        self.b.switch_to_block(result);
        self.block_param(result)
    }
}
