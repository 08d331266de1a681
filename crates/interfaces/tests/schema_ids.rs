//! Pins type IDs and method ordinals to Bitcoin Core's and libmultiprocess's schemas, so that
//! a C++ peer reads our bytes. Values were read from Core's src/ipc/capnp/*.capnp and
//! libmultiprocess's include/mp/proxy.capnp with `capnp compile -ocapnp`.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use capnp::traits::HasTypeId;
use interfaces::generated::{
    common_capnp, common_ipc, echo_ipc, init_ipc, mining_capnp, mining_ipc, rpc_ipc,
};

fn id<T: HasTypeId>() -> u64 {
    T::TYPE_ID
}

#[test]
fn type_ids_match_core() {
    assert_eq!(init_ipc::init::INTERFACE_ID, 0x8838_c700_ba5c_ba65);
    assert_eq!(echo_ipc::echo::INTERFACE_ID, 0xd36b_8964_0dc9_4399);
    assert_eq!(mining_ipc::mining::INTERFACE_ID, 0xf9c6_8436_df3a_f39e);
    assert_eq!(
        mining_ipc::block_template::INTERFACE_ID,
        0xf967_1ad8_41b2_f622
    );
    assert_eq!(rpc_ipc::rpc::INTERFACE_ID, 0xacb1_d37f_0a71_3129);
    assert_eq!(
        id::<common_capnp::block_ref::Reader<'_>>(),
        0xb3be_4b89_4935_0369
    );
    assert_eq!(
        id::<mining_capnp::block_create_options::Reader<'_>>(),
        0x80fc_a083_ef81_a559
    );
    assert_eq!(
        id::<mining_capnp::block_wait_options::Reader<'_>>(),
        0x9ba4_37d9_de0c_452e
    );
    assert_eq!(
        id::<mining_capnp::block_check_options::Reader<'_>>(),
        0x89f3_f39b_6c9d_d162
    );
    assert_eq!(
        id::<mining_capnp::coinbase_tx::Reader<'_>>(),
        0xdc39_9c6d_34ae_7e69
    );
    assert_eq!(
        id::<ipc::proxy_capnp::thread_map::Client>(),
        0xee5e_3717_9ad9_dc9d
    );
    assert_eq!(
        id::<ipc::proxy_capnp::thread::Client>(),
        0x81c1_e260_0d0b_56c5
    );
    assert_eq!(
        id::<ipc::proxy_capnp::context::Reader<'_>>(),
        0x9c44_e664_5d0b_22c6
    );
    let _ = common_ipc::block_ref_fields::height::get::<i32>;
}

#[test]
fn method_ordinals_match_core() {
    assert_eq!(init_ipc::init::construct::ORDINAL, 0);
    assert_eq!(init_ipc::init::make_echo::ORDINAL, 1);
    assert_eq!(init_ipc::init::make_mining_old2::ORDINAL, 2);
    assert_eq!(init_ipc::init::make_mining::ORDINAL, 3);
    assert_eq!(init_ipc::init::make_rpc::ORDINAL, 4);
    assert_eq!(echo_ipc::echo::destroy::ORDINAL, 0);
    assert_eq!(echo_ipc::echo::echo::ORDINAL, 1);
    use mining_ipc::mining as m;
    let mining = [
        m::is_test_chain::ORDINAL,
        m::is_initial_block_download::ORDINAL,
        m::get_tip::ORDINAL,
        m::wait_tip_changed::ORDINAL,
        m::create_new_block::ORDINAL,
        m::check_block::ORDINAL,
        m::interrupt::ORDINAL,
        m::submit_block::ORDINAL,
        m::get_transactions_by_tx_i_d::ORDINAL,
        m::get_transactions_by_witness_i_d::ORDINAL,
    ];
    assert_eq!(mining, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    use mining_ipc::block_template as t;
    let template = [
        t::destroy::ORDINAL,
        t::get_block_header::ORDINAL,
        t::get_block::ORDINAL,
        t::get_tx_fees::ORDINAL,
        t::get_tx_sigops::ORDINAL,
        t::get_coinbase_tx::ORDINAL,
        t::get_coinbase_merkle_path::ORDINAL,
        t::submit_solution_old7::ORDINAL,
        t::wait_next::ORDINAL,
        t::interrupt_wait::ORDINAL,
        t::submit_solution::ORDINAL,
    ];
    assert_eq!(template, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(rpc_ipc::rpc::execute_rpc::ORDINAL, 0);
}

#[test]
fn log_names_match_libmultiprocess() {
    assert_eq!(echo_ipc::echo::echo::INFO.params_name, "Echo.echo$Params");
    assert_eq!(echo_ipc::echo::echo::INFO.results_name, "Echo.echo$Results");
    assert_eq!(
        init_ipc::init::make_echo::INFO.params_name,
        "Init.makeEcho$Params"
    );
    assert!(init_ipc::init::make_echo::INFO.context.is_some());
    assert!(init_ipc::init::make_mining_old2::INFO.context.is_none());
    assert!(mining_ipc::mining::interrupt::INFO.context.is_none());
}
