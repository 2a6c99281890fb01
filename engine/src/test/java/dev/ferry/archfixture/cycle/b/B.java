package dev.ferry.archfixture.cycle.b;

import dev.ferry.archfixture.cycle.a.A;

/** The other half of a deliberate package cycle: ArchitectureTest proves its cycle rule catches it. */
public final class B {
    public A partner() {
        return new A();
    }
}
