package dev.lorahub.hub;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The hub's tasks and their documented split (see docs/hub-and-demo.md).
 *
 * <ul>
 *   <li>{@link #poolTasks()}: 30 tasks, one LoRA module each, trained WITHOUT an instruction: every
 *       single operation (10), the 4 distractors, 10 of the 16 order x map pairs, 4 drop-vowels
 *       pairs and 2 duplicate pairs.
 *   <li>{@link #heldOutTasks()}: 10 tasks no module and no pretraining batch ever sees. Eight are
 *       unseen pairs of skills the pool has (6 order x map pairs, 2 drop-vowels pairs), two are
 *       deliberately harder (a length-changing pair and a three-operation pipeline) to show where
 *       composition stops.
 *   <li>{@link #pretrainingTasks()}: every valid pipeline of at most two operations (at most one
 *       filter, order, map and duplicate operation, in that order) plus the distractors, minus the
 *       held-out ones (39 tasks): the base learns the skills behind an instruction prefix, and
 *       {@code copy} is the empty instruction, so the base without an instruction copies its input.
 * </ul>
 */
public final class TaskSuite {
    private static final List<String> POOL =
            List.of(
                    // single operations
                    "dv",
                    "rev",
                    "rotl",
                    "rotr",
                    "swap",
                    "atb",
                    "sh1",
                    "sh2",
                    "sh3",
                    "dup",
                    // distractors
                    "len",
                    "cntv",
                    "f3",
                    "l3",
                    // order x map pairs seen in training (6 of the 16 are held out)
                    "rev_sh1",
                    "rev_sh3",
                    "rotl_atb",
                    "rotl_sh2",
                    "rotl_sh3",
                    "rotr_atb",
                    "rotr_sh1",
                    "rotr_sh3",
                    "swap_sh1",
                    "swap_sh2",
                    // drop-vowels pairs
                    "dv_rev",
                    "dv_atb",
                    "dv_sh1",
                    "dv_swap",
                    // duplicate pairs
                    "atb_dup",
                    "rev_dup");

    private static final List<String> HELD_OUT =
            List.of(
                    // unseen order x map pairs
                    "rev_atb",
                    "rotl_sh1",
                    "rotr_sh2",
                    "swap_sh3",
                    "rev_sh2",
                    "swap_atb",
                    // unseen drop-vowels pairs
                    "dv_rotl",
                    "dv_sh2",
                    // harder: length-changing pair, three operations
                    "sh1_dup",
                    "dv_rev_sh1");

    /** Pretraining pipelines have at most this many operations (the pool's depth). */
    public static final int MAX_PRETRAINING_OPS = 2;

    private TaskSuite() {}

    /**
     * @return the 30 tasks of the LoRA module pool, in module order
     */
    public static List<Task> poolTasks() {
        return POOL.stream().map(Task::parse).toList();
    }

    /**
     * @return the 10 held-out tasks of the demo
     */
    public static List<Task> heldOutTasks() {
        return HELD_OUT.stream().map(Task::parse).toList();
    }

    /**
     * @return every pipeline of at most {@value #MAX_PRETRAINING_OPS} operations, at most one per
     *     slot and in slot order, plus the four distractors, without the held-out tasks; {@code
     *     copy} first
     */
    public static List<Task> pretrainingTasks() {
        Set<String> heldOut = new LinkedHashSet<>(HELD_OUT);
        List<Op> filters = withNone(Op.DROP_VOWELS);
        List<Op> orders = withNone(Op.REVERSE, Op.ROTATE_LEFT, Op.ROTATE_RIGHT, Op.SWAP_PAIRS);
        List<Op> maps = withNone(Op.MIRROR, Op.SHIFT_1, Op.SHIFT_2, Op.SHIFT_3);
        List<Op> dups = withNone(Op.DUPLICATE);
        List<Task> out = new ArrayList<>();
        for (Op f : filters) {
            for (Op o : orders) {
                for (Op m : maps) {
                    for (Op d : dups) {
                        List<Op> ops = new ArrayList<>();
                        for (Op op : new Op[] {f, o, m, d}) {
                            if (op != null) {
                                ops.add(op);
                            }
                        }
                        Task t = new Task(ops);
                        if (ops.size() <= MAX_PRETRAINING_OPS && !heldOut.contains(t.name())) {
                            out.add(t);
                        }
                    }
                }
            }
        }
        for (Op op : Op.values()) {
            if (op.slot() == Op.Slot.DISTRACTOR) {
                out.add(Task.of(op));
            }
        }
        return out;
    }

    private static List<Op> withNone(Op... ops) {
        List<Op> out = new ArrayList<>();
        out.add(null);
        out.addAll(List.of(ops));
        return out;
    }
}
